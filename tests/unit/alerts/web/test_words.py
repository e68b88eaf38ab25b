"""What a CSM reads: relative times and event types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.alerts.web.words import ago, event_type

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_times_are_said_in_the_largest_whole_unit() -> None:
    assert ago(NOW - timedelta(days=2, hours=5), NOW) == "2 days ago"
    assert ago(NOW - timedelta(minutes=1), NOW) == "1 minute ago"
    assert ago(NOW - timedelta(seconds=20), NOW) == "just now"
    assert ago(NOW + timedelta(hours=3), NOW) == "in 3 hours"
    assert ago(None, NOW) == "—"


def test_event_types_are_said_in_words() -> None:
    assert [event_type(t) for t in ("payment_failed", "active", "nps_response", "x.custom")] == [
        "Payment failed", "User active", "NPS response", "X.custom",
    ]  # fmt: skip
