"""Retry timing: the schedule, Retry-After, and giving up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.alerts.retry import MAX_RETRY_AFTER_S, next_attempt_at, parse_retry_after

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SCHEDULE = [0.0, 5.0, 300.0]


def test_each_failed_attempt_waits_the_next_step_of_the_schedule() -> None:
    assert next_attempt_at(1, SCHEDULE, NOW, None) == NOW + timedelta(seconds=5)
    assert next_attempt_at(2, SCHEDULE, NOW, None) == NOW + timedelta(seconds=300)


def test_the_schedule_used_up_means_give_up() -> None:
    assert next_attempt_at(3, SCHEDULE, NOW, None) is None


def test_retry_after_lengthens_but_never_shortens_the_wait() -> None:
    assert next_attempt_at(1, SCHEDULE, NOW, 60) == NOW + timedelta(seconds=60)
    assert next_attempt_at(2, SCHEDULE, NOW, 1) == NOW + timedelta(seconds=300)


def test_retry_after_in_seconds_or_http_date() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Sun, 01 Nov 2026 12:00:30 GMT", NOW) == 30
    assert parse_retry_after("999999", NOW) == MAX_RETRY_AFTER_S
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
