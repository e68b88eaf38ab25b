"""Message encoding: every message on the topics is JSON written with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel

OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def encode(message: BaseModel) -> bytes:
    """A model as JSON bytes (datetimes in RFC 3339 with Z)."""
    return orjson.dumps(message.model_dump(mode="python", exclude_none=False), option=OPTIONS)


def dumps(value: Any) -> bytes:
    """Plain data as JSON bytes."""
    return orjson.dumps(value, option=OPTIONS)


loads = orjson.loads
