"""The replay: fold a history into each account's state in file order, deterministically, and
sample every scorer (model files and baselines) at each midnight of event time."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from schemas import AccountUpdate, RiskChange
from services.scorer.backtest.baselines import BASELINES, Rules, band_of, idle_band
from services.scorer.backtest.history import Record, Skipped
from services.scorer.backtest.scoring import ModelScorer
from services.scorer.backtest.traces import Account, Change, Trace, change_kinds
from services.scorer.model import AccountState, LateEvent

DAY_S = 86_400.0
FEATURES = (
    "usage", "support", "billing", "sentiment",
    "usage.activity", "usage.seats", "usage.recency", "usage.breadth", "score",
)  # fmt: skip
"""What `Replay(collect=True)` keeps of the first model at each midnight (NaN: no value)."""


@dataclass(frozen=True)
class Span:
    """The days of a history: from the midnight `start`, `days` midnights."""

    start: datetime
    days: int

    def at(self, day: float) -> datetime:
        """The time `day` days (fractional) after the start."""
        return self.start + timedelta(days=day)


@dataclass
class AccountRun:
    """One account during the replay: a state per model, the baselines' memory, the traces."""

    account: Account
    states: dict[str, AccountState]
    rules: Rules = field(default_factory=Rules)
    traces: dict[str, Trace] = field(default_factory=dict)
    next_day: int = 0
    latest: float = -math.inf
    features: array[float] = field(default_factory=lambda: array("d"))


@dataclass
class Replayed:
    """What a replay produced: the span, every account's traces per scorer, and its counts."""

    span: Span
    accounts: list[Account]
    traces: dict[str, list[Trace]]
    runs: dict[str, AccountRun]
    counts: dict[str, int]
    skipped: Skipped


class Replay:
    """Feed records (one account's in event-time order for exact figures), then `finish`."""

    def __init__(
        self,
        scorers: Mapping[str, ModelScorer],
        churned_at: Mapping[str, datetime] | None = None,
        start: datetime | None = None,
        collect: bool = False,
    ) -> None:
        self.scorers = dict(scorers)
        self.churned_at = churned_at
        self.start = start
        self.collect = collect
        self.runs: dict[str, AccountRun] = {}
        self.skipped = Skipped()
        self.counts = {"records": 0, "events": 0, "account_updates": 0, "behind": 0}
        self.last_at = -math.inf
        self.days: int | None = None

    def ensure(self, account_id: str) -> Account:
        """The account, known from now on even if no record of it follows."""
        return self._run(account_id).account

    def _run(self, account_id: str) -> AccountRun:
        run = self.runs.get(account_id)
        if run is None:
            states = {name: s.new_state(account_id) for name, s in self.scorers.items()}
            run = self.runs[account_id] = AccountRun(Account(account_id), states)
            for name in (*self.scorers, *BASELINES):
                run.traces[name] = Trace(run.account)
            if self.churned_at is not None and account_id in self.churned_at:
                run.account.churn_day = self._day(self.churned_at[account_id].timestamp())
        return run

    def _day(self, at: float) -> float:
        assert self.start is not None
        return (at - self.start.timestamp()) / DAY_S

    def feed(self, record: Record) -> None:
        """Fold one record into its account, after sampling the midnights it passed."""
        if self.start is None:
            first = datetime.fromtimestamp(record.at, UTC)
            self.start = first.replace(hour=0, minute=0, second=0, microsecond=0)
        item = record.item
        run = self._run(item.account_id)
        self.counts["records"] += 1
        self.last_at = max(self.last_at, record.at)
        if record.at < run.latest:
            self.counts["behind"] += 1
        run.latest = max(run.latest, record.at)
        at = self._day(record.at)
        self._sample_until(run, at)
        if isinstance(item, AccountUpdate):
            self.counts["account_updates"] += 1
            for name, scorer in self.scorers.items():
                scorer.traits(run.states[name], item)
            return
        first_state = next(iter(run.states.values()), None)
        seen = first_state.events_seen if first_state is not None else 0
        try:
            for name, scorer in self.scorers.items():
                self._note(run, name, scorer.event(run.states[name], item))
        except LateEvent as exc:
            self.skipped.add(f"line {record.line}", f"late: {exc}")
            return
        self.counts["events"] += 1
        if first_state is None or first_state.events_seen > seen:  # not a repeated event id
            run.rules.fold(item, at)
        if (
            item.type == "subscription_ended"
            and self.churned_at is None
            and run.account.churn_day is None
        ):
            run.account.churn_day = at

    def _note(self, run: AccountRun, name: str, change: RiskChange | None) -> None:
        if change is not None:
            codes = tuple(r.code for r in change.reasons)
            kinds = change_kinds(
                change.previous.band, change.current.band, codes[0] if codes else None
            )
            day = self._day(change.occurred_at.timestamp())
            run.traces[name].changes.append(Change(day, kinds, codes))

    def _sample_until(self, run: AccountRun, at: float) -> None:
        last = math.floor(at)
        if self.days is not None:
            last = min(last, self.days - 1)
        while run.next_day <= last:
            self._sample(run, run.next_day)
            run.next_day += 1

    def _sample(self, run: AccountRun, day: int) -> None:
        assert self.start is not None
        when = self.start + timedelta(days=day)
        for name, scorer in self.scorers.items():
            state = run.states[name]
            self._note(run, name, scorer.midnight(state, when))
            known = state.as_of is not None
            score = state.score if known else None
            run.traces[name].add(
                None if score is None else 100 - score, state.band if known else "unknown"
            )
        if self.collect and self.scorers:
            name, scorer = next(iter(self.scorers.items()))
            run.features.extend(self._features(scorer, run.states[name]))
        idle = run.rules.idle_days(day)
        run.traces["days_since_usage"].add(idle, idle_band(idle))
        rule = run.rules.score(day)
        run.traces["weighted_rules"].add(None if rule is None else 100 - rule, band_of(rule))
        for name in BASELINES:
            trace = run.traces[name]
            if len(trace.bands) >= 2 and trace.bands[-1] != trace.bands[-2]:
                trace.changes.append(Change(day, change_kinds(trace.band(-2), trace.band(-1))))

    @staticmethod
    def _features(scorer: ModelScorer, state: AccountState) -> list[float]:
        values = dict.fromkeys(FEATURES, math.nan)
        if state.as_of is not None and state.score is not None:
            health = scorer.health(state)
            for part in health.parts:
                if part.score is not None and not part.stale:
                    values[part.name] = part.score
                for signal in part.signals:
                    if signal.code in values:
                        values[signal.code] = signal.score
            values["score"] = state.score
        return [values[name] for name in FEATURES]

    def finish(self, days: int | None = None) -> Replayed:
        """Sample every account up to the end of the history (`days` midnights; by default up
        to the day of the last record) and hand back the traces."""
        if self.start is None:
            self.start = datetime(1970, 1, 1, tzinfo=UTC)
            days = 0
        if days is None:
            days = math.floor(self._day(self.last_at)) + 1 if self.runs else 0
        self.days = days
        for run in self.runs.values():
            self._sample_until(run, days - 1)
            first = next(iter(run.states.values()), None)
            if first is not None:
                run.account.segment = first.traits.get("segment")
        accounts = [run.account for run in self.runs.values()]
        names = (*self.scorers, *BASELINES)
        traces = {name: [run.traces[name] for run in self.runs.values()] for name in names}
        span = Span(self.start, days)
        return Replayed(span, accounts, traces, self.runs, dict(self.counts), self.skipped)


def replay(
    records: Iterable[Record],
    scorers: Mapping[str, ModelScorer],
    churned_at: Mapping[str, datetime] | None = None,
    days: int | None = None,
    start: datetime | None = None,
    collect: bool = False,
) -> Replayed:
    """Replay `records` through every scorer and the baselines."""
    run = Replay(scorers, churned_at, start, collect)
    if days is not None:
        run.days = days
    for record in records:
        run.feed(record)
    return run.finish(days)
