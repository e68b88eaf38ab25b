"""The message contracts of healthmon: pydantic models, the source of the JSON Schema files."""

from schemas.accounts import AccountTraits, AccountUpdate
from schemas.dead_letters import DeadLetter
from schemas.events import EVENT_ADAPTER, EVENT_IN_ADAPTER, Event, EventIn
from schemas.health import Component, Health, HealthSnapshot, Reason, RiskChange, change_id

__all__ = [
    "EVENT_ADAPTER",
    "EVENT_IN_ADAPTER",
    "AccountTraits",
    "AccountUpdate",
    "Component",
    "DeadLetter",
    "Event",
    "EventIn",
    "Health",
    "HealthSnapshot",
    "Reason",
    "RiskChange",
    "change_id",
]
