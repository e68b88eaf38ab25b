"""How a segment's accounts use the product as a whole, so an account's usage is judged against
its segment's at the same time: an account that quiets down with everyone else (a holiday the
calendar does not know, a quiet season, an outage) is not at risk; one that quiets down while
its segment holds steady is.

The segment's usage is counted as active accounts a day (accounts with a usage event that day):
every account counts once, however busy, so a few large accounts do not set the level. Its
*level* on a day is its last complete week against its norm of the weeks before, in the windows
an account's usage is judged in (holidays left out); from `population_dip_ratio` of the norm up
it is 1: a few dozen accounts' weeks wander by several percent, and a segment that grows does not
make its steady accounts look worse. Only complete days count, so the level is the same all day
long, whenever it is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from services.scorer.model.config import Spec

Counts = Mapping[int, int]
"""Day -> accounts of a segment active that day."""


class Member(Protocol):
    """What a population reads of an account's state (state.py's AccountState, which holds its
    population, so this module needs no import of it)."""

    @property
    def traits(self) -> Mapping[str, Any]: ...

    @property
    def activity(self) -> Mapping[int, int]:
        """Day -> usage events."""
        ...

    population: Population | None


def level(counts: Counts, spec: Spec, today: int) -> float | None:
    """The segment's usage this complete week against its norm, or None when its norm has fewer
    than `usage.population_min_accounts` accounts active on a usual day; 1 from
    `usage.population_dip_ratio` of the norm up."""
    windows, calendar = spec.time, spec.calendar.days
    week_from = calendar.back(today, windows.recent_days)
    short_from = calendar.back(week_from, windows.baseline_days - windows.recent_days)
    holidays = calendar.days
    week = norm = 0
    for day, active in counts.items():
        if day >= today or day < short_from or (holidays and day in holidays):
            continue
        if day >= week_from:
            week += active
        else:
            norm += active
    days = calendar.working_days(short_from, week_from)
    if not days or norm / days < spec.usage.population_min_accounts:
        return None
    ratio = week / (norm * windows.recent_days / days)
    return 1.0 if ratio >= spec.usage.population_dip_ratio else ratio


class Population:
    """The accounts of a set of states (a scorer partition's, a backtest's): per segment, how
    many were active on each day, kept as their usage is folded in (`note_active`), and the
    levels asked of them. The counts are those of the (account, day) pairs with usage, so they
    do not depend on the order the events came in."""

    KEEP_DAYS = 120
    """Days of counts kept behind the newest (the level reaches back `baseline_days` and the
    holidays before them)."""

    def __init__(self) -> None:
        self.counts: dict[str | None, dict[int, int]] = {}
        self.newest = 0
        """The newest day counted when the counts were last pruned."""
        self.levels: dict[tuple[str | None, int, int], float | None] = {}
        self.asked = 0
        """The latest day a level was asked for: a count before it changes cached levels."""

    def level(self, segment: str | None, spec: Spec, today: int) -> float | None:
        """The segment's level on `today` under `spec` (see `level`)."""
        key = (segment, id(spec), today)
        if key not in self.levels:
            self.levels[key] = level(self.counts.get(segment, {}), spec, today)
            self.asked = max(self.asked, today)
        return self.levels[key]

    def add(self, state: Member) -> None:
        """Count an account's active days (it joins this population)."""
        segment = state.traits.get("segment")
        for day, events in state.activity.items():
            if events:
                self.note_active(segment, day)
        state.population = self

    def note_active(self, segment: str | None, day: int, by: int = 1) -> None:
        """An account of `segment` became active on `day` (`by` -1: it no longer counts)."""
        per_day = self.counts.setdefault(segment, {})
        per_day[day] = per_day.get(day, 0) + by
        if day < self.asked and self.levels:
            self.levels.clear()
        if day >= self.newest + 7:  # a week on: forget the days no level reaches any more
            self.newest = day
            for days in self.counts.values():
                for old in [d for d in days if d < day - self.KEEP_DAYS]:
                    del days[old]

    def move(self, state: Member, old: str | None, new: str | None) -> None:
        """An account changed segment: its active days count in the new one."""
        for day, events in state.activity.items():
            if events:
                self.note_active(old, day, -1)
                self.note_active(new, day)
