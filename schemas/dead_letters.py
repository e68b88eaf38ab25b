"""Dead letters: anything a service could not process, with the reason and where it came from."""

from __future__ import annotations

import base64
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class DeadLetter(BaseModel):
    """The original bytes of a message that failed, why, and its source position."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_topic: str = Field(
        description="The topic it was read from; for input ingest took but could not attribute "
        "to an account, the endpoint, e.g. `POST /v1/batch`."
    )
    partition: int | None = Field(description="None when it was not read from a topic.")
    offset: int | None = Field(description="None when it was not read from a topic.")
    key: str | None = Field(description="The original key (UTF-8, replaced where invalid).")
    value_base64: str = Field(description="The original value bytes, base64-encoded.")
    error: str = Field(description="Why it failed, naming the field where there is one.")
    stage: Literal["decode", "validate", "late", "process", "attribute"]
    service: str
    failed_at: AwareDatetime
    schema_version: Literal[1] = 1

    def original_value(self) -> bytes:
        """The original value bytes."""
        return base64.b64decode(self.value_base64)
