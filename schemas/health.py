"""Health outputs: risk changes (health-changes) and the latest health (health-snapshots)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.events import EventKind, EventType
from schemas.values import Id

Band = Literal["green", "yellow", "red", "unknown"]
BAND_RANK = {"red": 0, "yellow": 1, "green": 2}
"""Order of the known bands, worst first (`unknown` has no rank)."""
Score = Annotated[float, Field(ge=0, le=100)]


class Health(BaseModel):
    """A score and its band; the score is absent while the band is unknown."""

    model_config = ConfigDict(frozen=True)

    score: Score | None
    band: Band


class Component(BaseModel):
    """One component of the score, with its share of the total."""

    model_config = ConfigDict(frozen=True)

    name: str
    score: Score | None = Field(description="Absent when the component has no data.")
    weight: float = Field(ge=0, le=1, description="Weight after redistributing missing ones.")
    contribution: float = Field(description="weight x score: points this component adds.")
    stale: bool = Field(False, description="Its source has gone quiet; the score is old.")


class Reason(BaseModel):
    """Why the health moved: a stable code and a sentence a CSM understands."""

    model_config = ConfigDict(frozen=True)

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.]*$")]
    message: str


class Trigger(BaseModel):
    """What an event that caused a change was: enough to name it without looking it up."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    kind: EventKind
    type: EventType
    occurred_at: AwareDatetime = Field(description="Event time of the event.")


class RiskChange(BaseModel):
    """A change of an account's health: the public output of the scorer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    change_id: str = Field(description="account_id:seq, identical when a change is re-emitted.")
    account_id: Id
    seq: int = Field(ge=1, description="Per-account sequence number of changes.")
    occurred_at: AwareDatetime = Field(description="Event time of the cause.")
    emitted_at: AwareDatetime
    model_version: str
    previous: Health
    current: Health
    delta: float | None = Field(description="current.score - previous.score, when both exist.")
    trend_7d: float | None = Field(description="Score change over the last 7 days of event time.")
    components: list[Component]
    reasons: list[Reason]
    trigger_event_ids: list[str]
    triggers: list[Trigger] = Field(
        default_factory=list,
        description="The kind, type and event time of each triggering event the scorer still "
        "knew, in the order of trigger_event_ids; empty on changes made before it was added.",
    )
    segment: str | None = None
    csm_owner: str | None = None
    schema_version: Literal[1] = 1


class HealthSnapshot(BaseModel):
    """The latest health of one account (compacted: one record per account)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account_id: Id
    score: Score | None
    band: Band
    components: list[Component]
    stale: list[str] = Field(
        default_factory=list, description="Components left out because their source is quiet."
    )
    model_version: str
    as_of: AwareDatetime = Field(description="Event time of the account's latest event.")
    updated_at: AwareDatetime
    last_change_seq: int = Field(ge=0)
    events_seen: int = Field(ge=0)
    segment: str | None = None
    csm_owner: str | None = None
    schema_version: Literal[1] = 1


def change_id(account_id: str, seq: int) -> str:
    """Deterministic id of an account's seq-th change."""
    return f"{account_id}:{seq}"
