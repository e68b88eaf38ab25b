"""When to try a failed delivery again: the retry schedule and Retry-After."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER_S = 24 * 3600.0


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP-date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER_S)


def next_attempt_at(
    attempts_made: int, schedule: Sequence[float], now: datetime, retry_after: float | None
) -> datetime | None:
    """When to make attempt number `attempts_made + 1`; None once the schedule is used up.

    `schedule[i]` is the wait before attempt i + 1, so schedule[0] is the first attempt's delay.
    """
    if attempts_made >= len(schedule):
        return None
    delay = schedule[attempts_made]
    if retry_after is not None:
        delay = max(delay, retry_after)
    return now + timedelta(seconds=delay)
