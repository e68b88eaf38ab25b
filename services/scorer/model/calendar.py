"""Holiday calendars: the days on which quiet usage is expected, as epoch day numbers.

A model file lists holidays as `MM-DD` (every year), `YYYY-MM-DD` (once), or ranges of either
joined by `/` (`12-24/01-01` runs over the new year). Holidays are left out of every usage window
and norm, so a team that takes the holiday week off is judged on the weeks around it.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

YEARS = range(1999, 2102)
"""Recurring holidays are expanded over these years (event times before 2000 are refused)."""
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Holidays:
    """The holiday days of a calendar (epoch day numbers, as a set and in order) and its longest
    run of consecutive holidays, with the day arithmetic the usage windows need."""

    days: frozenset[int]
    ordered: tuple[int, ...]
    longest_run: int

    def between(self, first: int, end: int) -> int:
        """How many holidays fall on days `first` <= day < `end`."""
        if end <= first or not self.ordered:
            return 0
        return bisect_left(self.ordered, end) - bisect_left(self.ordered, first)

    def back(self, end: int, count: int) -> int:
        """The first day of the `count` working days (non-holidays) before day `end`."""
        start = end - count
        while (extra := self.between(start, end) - (end - start - count)) > 0:
            start -= extra
        return start

    def working_days(self, first: int, end: int) -> int:
        """Days `first` <= day < `end` that are not holidays."""
        return max(0, end - first) - self.between(first, end)


NO_HOLIDAYS = Holidays(frozenset(), (), 0)


def _parse_day(text: str, year: int | None) -> date:
    """`MM-DD` in `year`, or `YYYY-MM-DD`."""
    parts = text.strip().split("-")
    if len(parts) == 3:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    if len(parts) == 2 and year is not None:
        return date(year, int(parts[0]), int(parts[1]))
    raise ValueError(f"{text!r} is not MM-DD or YYYY-MM-DD")


def _span(entry: str, year: int | None) -> tuple[date, date]:
    first, _, last = entry.partition("/")
    start = _parse_day(first, year)
    end = _parse_day(last, year) if last else start
    if end < start and year is not None:  # a recurring range over the new year
        end = _parse_day(last, year + 1)
    if end < start:
        raise ValueError(f"{entry!r} ends before it starts")
    if (end - start).days > 31:
        raise ValueError(f"{entry!r} is longer than 31 days")
    return start, end


def _recurring(entry: str) -> bool:
    return len(entry.split("/")[0].strip().split("-")) == 2


def check_entry(entry: str) -> str:
    """Validate one calendar entry; raise ValueError saying what is wrong."""
    try:
        _span(entry, 2024 if _recurring(entry) else None)  # a leap year, so 02-29 is accepted
    except ValueError as exc:
        raise ValueError(f"holiday {entry!r}: {exc}") from None
    return entry


@lru_cache(maxsize=32)
def holidays(entries: tuple[str, ...]) -> Holidays:
    """Every holiday day of `entries` (validated by `check_entry`), as epoch day numbers."""
    days: set[int] = set()
    for entry in entries:
        for year in YEARS if _recurring(entry) else (None,):
            try:
                start, end = _span(entry, year)
            except ValueError:
                continue  # 02-29 in a year without it
            first = (start - EPOCH).days
            days.update(range(first, first + (end - start).days + 1))
    longest = run = 0
    for day in sorted(days):
        run = run + 1 if day - 1 in days else 1
        longest = max(longest, run)
    return Holidays(frozenset(days), tuple(sorted(days)), longest)
