"""Turning pydantic validation errors into field errors with JSON paths."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from schemas.events import CUSTOM_USAGE, VOCABULARY

_TAGS = {f"{k}.{t}" for k, types in VOCABULARY.items() for t in types} | {f"usage.{CUSTOM_USAGE}"}


class FieldError(BaseModel):
    """One invalid field: its JSON path and why."""

    loc: list[str | int]
    msg: str
    type: str


def field_errors(
    errors: Iterable[Mapping[str, Any]], data: Any = None, root: str | None = None
) -> list[FieldError]:
    """Pydantic `errors` with union-variant tags (and a leading `root`) taken out of each path."""
    out: list[FieldError] = []
    for err in errors:
        loc = [part for part in err["loc"] if part not in _TAGS]
        if root is not None and loc[:1] == [root]:
            loc = loc[1:]
        if err["type"] == "json_invalid":
            loc = []
        elif err["type"] == "unknown_event_type":
            kind = data.get("kind") if isinstance(data, dict) else None
            loc = ["kind"] if not isinstance(kind, str) or kind not in VOCABULARY else ["type"]
        out.append(FieldError(loc=loc, msg=err["msg"], type=err["type"]))
    return out


def describe(errors: list[FieldError]) -> str:
    """One line naming each field and its problem."""
    return "; ".join(f"{'.'.join(map(str, e.loc)) or '(message)'}: {e.msg}" for e in errors)
