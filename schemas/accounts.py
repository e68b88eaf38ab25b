"""Account traits: the contract of the compacted account-updates topic."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.values import FiniteFloat, Id, UtcDatetime

# Whitespace spelled out: `\s` means different characters in Python's and ECMA 262's regexes.
Email = Annotated[
    str, Field(max_length=254, pattern=r"^[^@ \t\n\r\f\v]+@[^@ \t\n\r\f\v]+\.[^@ \t\n\r\f\v]+$")
]
LifecycleStage = Literal["trial", "onboarding", "active", "renewal", "churned"]


class AccountTraits(BaseModel):
    """Traits of an account as a client upserts them; a field left out keeps its old value."""

    model_config = ConfigDict(extra="forbid")

    account_id: Id
    name: Annotated[str, Field(max_length=200)] | None = None
    segment: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        None, description="Selects the model profile, e.g. enterprise or self_serve."
    )
    csm_owner: Email | None = Field(None, description="Email of the customer success manager.")
    seats: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    mrr: Annotated[FiniteFloat, Field(ge=0)] | None = Field(
        None, description="Monthly recurring revenue."
    )
    lifecycle_stage: LifecycleStage | None = None


class AccountUpdate(AccountTraits):
    """An account upsert as it travels on account-updates, stamped by ingest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    updated_at: UtcDatetime
    source: Annotated[str, Field(min_length=1, max_length=100)]
    schema_version: Literal[1] = 1
