"""The topics of the system and the model of each one's values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from schemas.accounts import AccountUpdate
from schemas.dead_letters import DeadLetter
from schemas.events import EVENT_OF_KIND
from schemas.health import HealthSnapshot, RiskChange


@dataclass(frozen=True)
class TopicSpec:
    """A topic's default name, its value model and whether it is compacted."""

    name: str
    model: Any
    compacted: bool = False


USAGE_EVENTS = TopicSpec("usage-events", EVENT_OF_KIND["usage"])
TICKET_EVENTS = TopicSpec("ticket-events", EVENT_OF_KIND["ticket"])
PAYMENT_EVENTS = TopicSpec("payment-events", EVENT_OF_KIND["payment"])
ACCOUNT_UPDATES = TopicSpec("account-updates", AccountUpdate, compacted=True)
HEALTH_CHANGES = TopicSpec("health-changes", RiskChange)
HEALTH_SNAPSHOTS = TopicSpec("health-snapshots", HealthSnapshot, compacted=True)
DEAD_LETTERS = TopicSpec("dead-letters", DeadLetter)

ALL_TOPICS = (
    USAGE_EVENTS,
    TICKET_EVENTS,
    PAYMENT_EVENTS,
    ACCOUNT_UPDATES,
    HEALTH_CHANGES,
    HEALTH_SNAPSHOTS,
    DEAD_LETTERS,
)
EVENT_TOPIC_BY_KIND = {"usage": USAGE_EVENTS, "ticket": TICKET_EVENTS, "payment": PAYMENT_EVENTS}


def json_schema(spec: TopicSpec) -> dict[str, Any]:
    """The JSON Schema of a topic's values."""
    schema = TypeAdapter(spec.model).json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://healthmon.dev/schemas/{spec.name}.schema.json"
    schema.setdefault("title", spec.name)
    return schema
