"""Replay one simulated account through the model and two baselines, sampled at every midnight."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from churn_plan import Account, Config
from churn_sim import account_records

from schemas import EVENT_ADAPTER, AccountUpdate, RiskChange
from schemas.health import BAND_RANK
from services.scorer.model import AccountState, HealthModel, apply, apply_traits, evaluate

DAY_S = 86_400.0
CRITICAL_CODES = {
    "billing.payment_failed",
    "billing.dispute_opened",
    "billing.cancellation_scheduled",
    "support.urgent_ticket",
}
SCORERS = ("model", "days_since_usage", "weighted_rules")
IDLE_BANDS = (7.0, 14.0)
"""Days since the last usage event from which the first baseline says yellow, then red."""
RULE_WEIGHTS = {"usage": 0.5, "tickets": 0.25, "payments": 0.25}
TICKET_PENALTY = {"low": 10, "normal": 10, "high": 25, "urgent": 25}


@dataclass(frozen=True)
class Change:
    """A published change (or a baseline's band move): when, in days, and of which kinds."""

    day: float
    kinds: frozenset[str]


@dataclass
class Trace:
    """One scorer's view of one account: risk and band at each midnight, and its changes."""

    account: Account
    risk: list[float | None] = field(default_factory=list)
    band: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


def change_kinds(previous: str, current: str, first_reason: str | None = None) -> frozenset[str]:
    """The kinds of a change: initial, into_yellow, into_red, recovery, critical, drop."""
    kinds = {"critical"} if first_reason in CRITICAL_CODES else set()
    if previous not in BAND_RANK or current not in BAND_RANK:
        kinds.add("initial")
    elif BAND_RANK[current] < BAND_RANK[previous]:
        kinds.add("into_red" if current == "red" else "into_yellow")
    elif BAND_RANK[current] > BAND_RANK[previous]:
        kinds.add("recovery")
    elif not kinds:
        kinds.add("drop")
    return frozenset(kinds)


def band_of(score: float | None) -> str:
    """The band of a baseline score (green >= 70, yellow >= 40, no hysteresis)."""
    if score is None:
        return "unknown"
    return "green" if score >= 70 else "yellow" if score >= 40 else "red"


@dataclass
class Rules:
    """What the baselines remember of an account's events."""

    usage: dict[int, int] = field(default_factory=dict)
    first_usage: float | None = None
    last_usage: float | None = None
    tickets: dict[str, str] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    disputes: int = 0
    subscription: str = "active"
    seen: bool = False

    def fold(self, record: dict[str, Any], day: float) -> None:
        """Note one event."""
        self.seen = True
        kind, type_, props = record["kind"], record["type"], record["properties"]
        if kind == "usage":
            self.usage[int(day)] = self.usage.get(int(day), 0) + 1
            self.first_usage = day if self.first_usage is None else self.first_usage
            self.last_usage = day
        elif type_ == "ticket_opened":
            self.tickets[props["ticket_id"]] = props.get("priority", "normal")
        elif type_ == "ticket_closed":
            self.tickets.pop(props["ticket_id"], None)
        elif type_ == "payment_failed":
            self.failed.add(props.get("invoice_id", ""))
        elif type_ in ("payment_recovered", "invoice_paid"):
            self.failed.discard(props.get("invoice_id", ""))
        elif type_ in ("dispute_opened", "dispute_closed"):
            self.disputes += 1 if type_ == "dispute_opened" else -1
        elif type_ in ("subscription_canceled", "subscription_ended"):
            self.subscription = type_.split("_")[1]

    def idle_days(self, day: int) -> float | None:
        """Days since the last usage event."""
        return None if self.last_usage is None else day - self.last_usage

    def score(self, day: int) -> float | None:
        """The nightly weighted-rules score at the midnight starting `day`."""
        if not self.seen:
            return None
        parts: dict[str, float] = {}
        if self.first_usage is not None:
            history = min(30, day - int(self.first_usage))
            recent = sum(self.usage.get(d, 0) for d in range(day - 7, day))
            total = sum(self.usage.get(d, 0) for d in range(day - history, day))
            if history >= 14 and total:
                parts["usage"] = 100 * min(1.0, recent / (total * 7 / history))
            elif history >= 14:
                parts["usage"] = 0.0
        penalty = sum(TICKET_PENALTY.get(p, 10) for p in self.tickets.values())
        parts["tickets"] = max(0.0, 100.0 - penalty)
        payments = 100.0 - 50 * bool(self.failed) - 50 * (self.disputes > 0)
        cap = {"active": 100.0, "canceled": 20.0, "ended": 0.0}[self.subscription]
        parts["payments"] = max(0.0, min(payments, cap))
        weight = sum(RULE_WEIGHTS[k] for k in parts)
        return sum(RULE_WEIGHTS[k] * v for k, v in parts.items()) / weight


def _baseline_change(trace: Trace, day: int) -> None:
    """A baseline publishes a change when its band moves between two nights."""
    if len(trace.band) >= 2 and trace.band[-1] != trace.band[-2]:
        trace.changes.append(Change(day, change_kinds(trace.band[-2], trace.band[-1])))


def replay(config: Config, account: Account, model: HealthModel) -> dict[str, Trace]:
    """Fold the account's records in event-time order; sample every scorer at each midnight."""
    traces = {name: Trace(account) for name in SCORERS}
    state, rules = AccountState(account.account_id), Rules()
    start = config.start.timestamp()

    def note(change: RiskChange | None) -> None:
        if change is not None:
            day = (change.occurred_at.timestamp() - start) / DAY_S
            first = change.reasons[0].code if change.reasons else None
            kinds = change_kinds(change.previous.band, change.current.band, first)
            traces["model"].changes.append(Change(day, kinds))

    def sample(day: int) -> None:
        if state.as_of is not None:
            note(evaluate(state, model, config.at(day))[1])
        score = state.score if state.as_of is not None else None
        traces["model"].risk.append(None if score is None else 100 - score)
        traces["model"].band.append(state.band if state.as_of is not None else "unknown")
        idle = rules.idle_days(day)
        low, high = IDLE_BANDS
        idle_band = "unknown" if idle is None else "red" if idle >= high else "yellow"
        traces["days_since_usage"].risk.append(idle)
        traces["days_since_usage"].band.append(
            "green" if idle is not None and idle < low else idle_band
        )
        rule = rules.score(day)
        traces["weighted_rules"].risk.append(None if rule is None else 100 - rule)
        traces["weighted_rules"].band.append(band_of(rule))
        for name in ("days_since_usage", "weighted_rules"):
            _baseline_change(traces[name], day)

    day = 0
    for record in account_records(config, account):
        when = record.get("occurred_at") or record["updated_at"]
        at = (when.timestamp() - start) / DAY_S
        while day < config.days and day <= at:
            sample(day)
            day += 1
        if "kind" not in record:
            apply_traits(state, AccountUpdate.model_validate(record))
            continue
        note(apply(state, EVENT_ADAPTER.validate_python(record), model, when)[1])
        rules.fold(record, at)
    while day < config.days:
        sample(day)
        day += 1
    return traces
