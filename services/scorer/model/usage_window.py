"""An account's usage this week against its short and long norms, holidays left out.

The week is the last `recent_days` complete days before today; today, still under way, takes the
place of the week's oldest day once it is ahead of it (like for like, so a steady account reads
on its norm at any time of day). The short norm is the rest of the `baseline_days` before the
week: it follows the account's level. The long norm is the weeks before that, back to
`long_baseline_days`: a steady slide, which the short norm follows down, shows against it.
Holidays of the model's calendar count in no window: the week and the norms reach back past them.
"""

from __future__ import annotations

from typing import NamedTuple

from services.scorer.model.calendar import NO_HOLIDAYS
from services.scorer.model.config import Spec
from services.scorer.model.state import DAY, AccountState

LONG_MIN_DAYS = 14
"""Days of history the long norm needs before it counts."""


class UsageWindow(NamedTuple):
    """Usage events this week and the week before, where this week starts, and the weekly
    norms before it."""

    week: int
    prior: int
    since: int
    """The first day whose users count as active this week."""
    short: float | None
    long: float | None

    def norm(self) -> tuple[float, str] | None:
        """The higher norm and which one it is (`short` or `long`); None without history."""
        short, long = self.short, self.long
        if long and (not short or long > short):
            return long, "long"
        return (short, "short") if short else None


def usage_window(state: AccountState, spec: Spec, at: int) -> UsageWindow:
    """This week's usage against the account's short and long weekly norms."""
    windows, calendar = spec.time, spec.calendar.days
    today = at // DAY
    long_from = -(-(today - windows.long_baseline_days) // 7) * 7  # whole weeks, as pruned
    if not calendar.between(long_from, today + 1):
        calendar = NO_HOLIDAYS  # none in reach: the windows are plain day ranges
    holidays = calendar.days
    week_from = calendar.back(today, windows.recent_days)
    prior_from = calendar.back(week_from, windows.recent_days)
    short_from = calendar.back(week_from, windows.baseline_days - windows.recent_days)
    week = prior = short = long = 0
    for day, count in state.activity.items():
        if day >= today or (holidays and day in holidays):
            continue
        if day >= week_from:
            week += count
        elif day >= short_from:
            short += count
            if day >= prior_from:
                prior += count
        elif day >= long_from:
            long += count
    for week_number, count in state.weeks.items():
        if week_number * 7 >= long_from:
            long += count
    since = week_from
    if not holidays or today not in holidays:
        # today replaces the oldest day of the week once it is ahead of it
        oldest = week_from
        while oldest in holidays:
            oldest += 1
        today_count, oldest_count = state.activity.get(today, 0), state.activity.get(oldest, 0)
        if today_count > oldest_count:
            week += today_count - oldest_count
            since = oldest + 1
    first_day = (state.first_at or at) // DAY
    short_days = calendar.working_days(max(short_from, first_day), week_from)
    long_days = calendar.working_days(max(long_from, first_day), short_from)
    recent = windows.recent_days
    return UsageWindow(
        week,
        prior,
        since,
        short * recent / short_days if short_days >= recent else None,
        long * recent / long_days if long_days >= LONG_MIN_DAYS else None,
    )


def idle_days(state: AccountState, spec: Spec, at: int) -> float:
    """Days since the last usage event, holidays not counted."""
    if state.last_active is None:
        return 0.0
    idle = max(0.0, (at - state.last_active) / DAY)
    return max(0.0, idle - spec.calendar.days.between(state.last_active // DAY + 1, at // DAY + 1))
