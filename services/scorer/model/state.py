"""Per-account state: order-independent aggregates of the events, plus what was last published.

The aggregates only take maxima, minima, sums per event-time day and latest-by-event-time values,
so folding the same events in any order (within the lateness bound) gives the same aggregates.
Redelivered messages are recognised by their topic offset, repeated event ids by a short window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.scorer.model.population import Population
from services.scorer.model.sketch import ActiveUsers

DAY = 86_400
ID_WINDOW = 32
ID_HASH_CHARS = 8  # hex characters of an event id hash (sketch.id_hash)
TRIGGER_WINDOW = 8
HORIZON_DAYS = 60
COMPONENTS = ("usage", "support", "billing", "sentiment")
# Fields that depend on the order and batching of arrival, not only on which events arrived.
PATH_FIELDS = (
    "offsets", "recent_ids", "seq", "score", "band", "evaluated_at", "published_score",
    "published_at", "published_parts", "daily", "daily_parts", "pending", "pending_events",
)  # fmt: skip


def _drop_days(series: dict[int, Any], last: int) -> None:
    """Remove the days up to `last` from a day-keyed series."""
    for day in [d for d in series if d <= last]:
        del series[day]


@dataclass
class AccountState:
    """Everything the model remembers about one account; times are epoch seconds (event time)."""

    account_id: str
    traits: dict[str, Any] = field(default_factory=dict)
    # how far each input topic of the account's partition has been applied, and recent event ids
    offsets: dict[str, int] = field(default_factory=dict)
    recent_ids: list[str] = field(default_factory=list)
    events_seen: int = 0
    # aggregates
    first_at: int | None = None
    as_of: int | None = None
    last_active: int | None = None
    first_value: int | None = None
    activity: dict[int, int] = field(default_factory=dict)  # day -> usage events
    # week (epoch day // 7) -> usage events of its days that left `activity`, holidays left out:
    # the long norm, in a dozen numbers instead of three months of days
    weeks: dict[int, int] = field(default_factory=dict)
    users: ActiveUsers = field(default_factory=ActiveUsers)  # newest day of each user
    features: dict[str, int] = field(default_factory=dict)  # key feature -> last day used
    tickets: dict[str, list[Any]] = field(
        default_factory=dict
    )  # id -> [t, open, priority, escalated]
    opened: dict[int, int] = field(default_factory=dict)  # day -> tickets opened
    csat: list[list[float]] = field(default_factory=list)  # newest [t, 1..5] answers
    nps: list[list[float]] = field(default_factory=list)  # newest [t, 0..10] answers
    invoices: dict[str, list[int]] = field(default_factory=dict)  # key -> [t_failed, t_resolved]
    resolved_all: int = 0  # a recovery without invoice id resolves failures up to this time
    disputes: dict[str, list[int]] = field(default_factory=dict)  # key -> [t_opened, t_closed]
    disputes_closed_all: int = 0
    subscription: list[Any] = field(default_factory=list)  # [t, active|canceled|ended]
    mrr_change: list[float] = field(default_factory=list)  # [t, before, after], latest
    trial_end: int = 0
    kinds: str = ""  # which event kinds were seen: u, t, p
    kind_as_of: dict[str, int] = field(default_factory=dict)  # newest event time per kind
    # what was last published, for change detection and explanation
    seq: int = 0
    score: float | None = None
    band: str = "unknown"
    evaluated_at: int | None = None
    published_score: float | None = None
    published_at: int | None = None
    published_parts: dict[str, float] = field(default_factory=dict)
    daily: dict[int, float] = field(default_factory=dict)  # day -> last score that day
    # day -> its components then (in COMPONENTS order, whole points): what a drop is explained by
    daily_parts: dict[int, list[int | None]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  # event ids since the last change
    # event id -> [kind, type, event time] of each pending event (states stored before it: none)
    pending_events: dict[str, list[Any]] = field(default_factory=dict)
    # derived, never stored: component results and the last evaluation, reused while valid
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # the accounts this one's usage is judged beside (population.py), set by whoever holds it
    population: Population | None = field(default=None, repr=False, compare=False)

    def redelivered(self, position: tuple[str, int] | None) -> bool:
        """Whether the message at `position` (topic kind, offset) was applied already; if not,
        remember it as applied."""
        if position is None:
            return False
        topic, offset = position
        if self.offsets.get(topic, -1) >= offset:
            return True
        self.offsets[topic] = offset
        return False

    def seen_id(self, event_id_hash: str) -> bool:
        """Whether this event id was applied recently."""
        return event_id_hash in self.recent_ids

    def remember_id(self, event_id_hash: str) -> None:
        """Keep the last ID_WINDOW event ids."""
        self.recent_ids.append(event_id_hash)
        del self.recent_ids[:-ID_WINDOW]

    def note_trigger(self, event_id: str, kind: str, type_: str, at: int) -> None:
        """Remember an event that moved the health since the last change, and what it was."""
        self.pending.append(event_id)
        del self.pending[:-TRIGGER_WINDOW]
        self.pending_events[event_id] = [kind, type_, at]
        for gone in set(self.pending_events) - set(self.pending):
            del self.pending_events[gone]

    def triggers(self) -> list[dict[str, Any]]:
        """The pending events that are known, as the `triggers` of a risk change."""
        known = [(i, self.pending_events.get(i)) for i in self.pending]
        return [
            {
                "event_id": i,
                "kind": e[0],
                "type": e[1],
                "occurred_at": datetime.fromtimestamp(e[2], UTC),
            }
            for i, e in known
            if e
        ]

    def forget(self, *components: str) -> None:
        """Drop cached results that the aggregates of `components` (default: all) fed."""
        for name in components or COMPONENTS:
            self.cache.pop(name, None)
        self.cache.pop("health", None)

    def prune(
        self,
        keep_days: int,
        sketch_days: int,
        score_days: int,
        long_days: int,
        holidays: frozenset[int],
    ) -> None:
        """Forget what no window can reach any more: day buckets older than their window (usage
        days roll up into weeks, kept for `long_days`, holidays left out), and closed items
        older than the horizon."""
        if self.as_of is None or self.cache.get("pruned") == self.as_of // DAY:
            return  # within a day only late events arrive, and they are inside every window
        today = self.as_of // DAY
        self.cache["pruned"] = today
        if self.daily and min(self.daily) <= today - score_days:
            _drop_days(self.daily, today - score_days)
        if self.daily_parts and min(self.daily_parts) <= today - score_days:
            _drop_days(self.daily_parts, today - score_days)
        pruned = False
        if self.activity and min(self.activity) <= today - keep_days:
            for day in [d for d in self.activity if d <= today - keep_days]:
                count = self.activity.pop(day)
                if day not in holidays:
                    self.weeks[day // 7] = self.weeks.get(day // 7, 0) + count
            pruned = True
        first_week = -(-(today - long_days) // 7)  # the first whole week of the long window
        if self.weeks and min(self.weeks) < first_week:
            self.weeks = {w: n for w, n in self.weeks.items() if w >= first_week}
            pruned = True
        if self.opened and min(self.opened) <= today - keep_days:
            _drop_days(self.opened, today - keep_days)
            pruned = True
        if self.users.prune(today - sketch_days):
            pruned = True
        floor_day = today - HORIZON_DAYS
        floor = floor_day * DAY
        if self.features and min(self.features.values()) < floor_day:
            self.features = {f: d for f, d in self.features.items() if d >= floor_day}
            pruned = True
        if any(not v[1] and v[0] < floor for v in self.tickets.values()):
            self.tickets = {k: v for k, v in self.tickets.items() if v[1] or v[0] >= floor}
            pruned = True
        if any(max(v) < floor for v in self.invoices.values()):
            self.invoices = {k: v for k, v in self.invoices.items() if max(v) >= floor}
            pruned = True
        if any(max(v) < floor for v in self.disputes.values()):
            self.disputes = {k: v for k, v in self.disputes.items() if max(v) >= floor}
            pruned = True
        if pruned:
            self.forget()

    def aggregates(self) -> dict[str, Any]:
        """The order-independent part of the state (what the events say, not what was sent)."""
        data = self.to_dict()
        for name in PATH_FIELDS:
            data.pop(name)
        return data

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the changelog (day-keyed maps become [day, value] pairs)."""
        data = dict(vars(self))
        del data["cache"], data["population"]
        for name in ("activity", "weeks", "opened", "daily", "daily_parts"):
            data[name] = sorted(getattr(self, name).items())
        data["recent_ids"] = "".join(self.recent_ids)
        data["users"] = self.users.encode()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountState:
        """Rebuild from `to_dict` output."""
        data = dict(data)
        for name in ("activity", "weeks", "opened", "daily", "daily_parts"):
            data[name] = {int(d): v for d, v in data.get(name, [])}
        ids = data.get("recent_ids", "")
        data["recent_ids"] = [ids[i : i + ID_HASH_CHARS] for i in range(0, len(ids), ID_HASH_CHARS)]
        users = data.get("users", "")
        # states stored before the sketch was a HyperLogLog: a list of [day, 128-bit bitmap]
        data["users"] = (
            ActiveUsers.from_legacy(users) if isinstance(users, list) else ActiveUsers.decode(users)
        )
        return cls(**data)
