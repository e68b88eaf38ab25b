"""Validating and completing events before they leave the caller."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from healthmon_client.errors import InvalidEvent
from schemas import AccountTraits, AccountUpdate, Event
from schemas.errors import field_errors
from schemas.events import EVENT_IN_ADAPTER, EventIn, complete

T = TypeVar("T")


def _validated(data: dict[str, Any], validate: Callable[[dict[str, Any]], T]) -> T:
    try:
        return validate(data)
    except ValidationError as exc:
        raise InvalidEvent(field_errors(exc.errors(), data)) from exc


def event_in(event: dict[str, Any] | EventIn) -> EventIn:
    """The event as the ingest API would accept it; InvalidEvent names every bad field."""
    if not isinstance(event, dict):
        return event
    return _validated(event, EVENT_IN_ADAPTER.validate_python)


def topic_event(event: dict[str, Any] | EventIn, source: str) -> Event:
    """The complete topic event: an event_id (random unless given), received_at now."""
    return complete(
        event_in(event), event_id=uuid.uuid4().hex, received_at=datetime.now(UTC), source=source
    )


def account_traits(traits: dict[str, Any] | AccountTraits) -> AccountTraits:
    """The traits as the ingest API would accept them; InvalidEvent names every bad field."""
    if isinstance(traits, AccountTraits):
        return traits
    return _validated(traits, AccountTraits.model_validate)


def account_update(traits: dict[str, Any] | AccountTraits, source: str) -> AccountUpdate:
    """The account update for the topic, stamped now."""
    data = account_traits(traits).model_dump()
    return AccountUpdate.model_validate({**data, "updated_at": datetime.now(UTC), "source": source})
