"""Builders of valid events for tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas import EVENT_ADAPTER, Event

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


def event_dict(
    kind: str, type_: str, account: str = "acct-1", at: datetime = T0, event_id: str | None = None,
    **props: Any,
) -> dict[str, Any]:  # fmt: skip
    """A complete topic event as plain data."""
    return {
        "event_id": event_id or f"ev-{next(_ids)}",
        "account_id": account,
        "kind": kind,
        "type": type_,
        "occurred_at": at.isoformat(),
        "received_at": at.isoformat(),
        "source": "test",
        "properties": props,
    }


def event(kind: str, type_: str, **kwargs: Any) -> Event:
    """A validated topic event."""
    return EVENT_ADAPTER.validate_python(event_dict(kind, type_, **kwargs))


def days(n: float) -> timedelta:
    """n days."""
    return timedelta(days=n)
