"""Dead letters: anything a service could not process, with the reason and where it came from."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Stage = Literal["decode", "validate", "late", "future", "process", "attribute"]
MAX_VALUE_BYTES = 64 * 1024
"""Most bytes of the original value a dead letter carries: with the base64 growth and the other
fields it stays far below Kafka's default message size (1 MB), whatever the original was."""
MAX_KEY_CHARS = 1024
MAX_ERROR_CHARS = 2000


class DeadLetter(BaseModel):
    """The original bytes of a message that failed, why, and its source position."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_topic: str = Field(
        description="The topic it was read from; for input ingest took but could not attribute "
        "to an account, the endpoint, e.g. `POST /v1/batch`."
    )
    partition: int | None = Field(description="None when it was not read from a topic.")
    offset: int | None = Field(description="None when it was not read from a topic.")
    key: str | None = Field(
        description="The original key (UTF-8, replaced where invalid; cut at 1,024 characters)."
    )
    value_base64: str = Field(
        description="The original value bytes, base64-encoded; of a value over 64 KiB only its "
        "first 64 KiB (`truncated`): the whole one stays at its source position."
    )
    value_bytes: int | None = Field(None, description="Size of the whole original value in bytes.")
    value_sha256: str | None = Field(
        None, description="SHA-256 (hex) of the whole original value, to recognise it at source."
    )
    truncated: bool = Field(
        False, description="True when the value, the key or the error was cut to fit."
    )
    error: str = Field(description="Why it failed, naming the field where there is one.")
    stage: Stage
    service: str
    failed_at: AwareDatetime
    schema_version: Literal[1] = 1

    @classmethod
    def of(
        cls,
        value: bytes,
        key: str | None,
        error: str,
        stage: Stage,
        service: str,
        failed_at: datetime,
        source_topic: str,
        partition: int | None = None,
        offset: int | None = None,
    ) -> DeadLetter:
        """A dead letter of `value` that always fits on its topic: the value, key and error are
        cut to their limits, with the whole value's size and hash kept."""
        cut = (
            len(value) > MAX_VALUE_BYTES
            or (key is not None and len(key) > MAX_KEY_CHARS)
            or len(error) > MAX_ERROR_CHARS
        )
        return cls(
            source_topic=source_topic[:MAX_KEY_CHARS],
            partition=partition,
            offset=offset,
            key=None if key is None else key[:MAX_KEY_CHARS],
            value_base64=base64.b64encode(value[:MAX_VALUE_BYTES]).decode(),
            value_bytes=len(value),
            value_sha256=hashlib.sha256(value).hexdigest(),
            truncated=cut,
            error=error[:MAX_ERROR_CHARS],
            stage=stage,
            service=service,
            failed_at=failed_at,
        )

    def original_value(self) -> bytes:
        """The original value bytes (only their beginning when `truncated`)."""
        return base64.b64decode(self.value_base64)
