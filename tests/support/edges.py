"""Hypothesis strategies over the edges of input values: times, numbers and strings."""

from __future__ import annotations

import calendar
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from schemas.values import CONTROL


def offset_text(minutes: int) -> str:
    """An RFC 3339 offset: Z or ±HH:MM."""
    if minutes == 0:
        return "Z"
    sign = "+" if minutes > 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@st.composite
def edge_times(draw: st.DrawFn) -> str:
    """RFC 3339 times near the ends of the calendar, with offsets of up to a day."""
    year = draw(st.sampled_from([1, 2, 1969, 1970, 1999, 2026, 9998, 9999]) | st.integers(1, 9999))
    month = draw(st.sampled_from([1, 12]) | st.integers(1, 12))
    day = min(
        draw(st.sampled_from([1, 31]) | st.integers(1, 31)), calendar.monthrange(year, month)[1]
    )
    hour = draw(st.sampled_from([0, 23]) | st.integers(0, 23))
    minute = draw(st.sampled_from([0, 59]) | st.integers(0, 59))
    offset = draw(st.sampled_from([-1439, -1, 0, 1, 1439]) | st.integers(-1439, 1439))
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:59{offset_text(offset)}"


def in_utc(text: str) -> datetime | None:
    """A time made by edge_times in UTC, or None when that leaves years 1-9999."""
    local, offset = text[:19], text[19:]
    minutes = 0
    if offset != "Z":
        minutes = (1 if offset[0] == "+" else -1) * (int(offset[1:3]) * 60 + int(offset[4:6]))
    try:
        return (
            datetime.fromisoformat(local)
            .replace(tzinfo=timezone(timedelta(minutes=minutes)))
            .astimezone(UTC)
        )
    except OverflowError:
        return None


NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
"""What NaN, Infinity, -Infinity and 1e400 parse to."""
NUMBERS = st.floats() | st.integers(-(2**70), 2**70) | st.sampled_from([0, -0.0, 1e308, 5e-324])
IDS = st.text(
    st.characters(codec="utf-8") | st.sampled_from(["\x00", "\x1f", "\x7f", "\x85"]), max_size=210
)
"""Strings an id field may be sent, control characters among them."""
NOT_STRINGS: st.SearchStrategy[Any] = (
    st.lists(st.text(max_size=5), max_size=3)
    | st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)
    | st.integers()
    | st.booleans()
    | st.none()
)


def non_finite_in(value: Any) -> bool:
    """Whether a JSON value holds NaN or an infinite number."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(non_finite_in(v) for v in value)
    if isinstance(value, dict):
        return any(non_finite_in(v) for v in value.values())
    return False


def has_control(text: str) -> bool:
    """Whether `text` holds a control character."""
    return CONTROL.search(text) is not None
