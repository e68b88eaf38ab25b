"""Two baselines the model is measured against: days since the last usage event, and a nightly
weighted-rules score (usage against its 30-day average, open tickets, payment status)."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas import Event

BASELINES = ("days_since_usage", "weighted_rules")
IDLE_BANDS = (7.0, 14.0)
"""Days since the last usage event from which the first baseline says yellow, then red."""
RULE_WEIGHTS = {"usage": 0.5, "tickets": 0.25, "payments": 0.25}
TICKET_PENALTY = {"low": 10, "normal": 10, "high": 25, "urgent": 25}


def band_of(score: float | None) -> str:
    """The band of a weighted-rules score (green >= 70, yellow >= 40, no hysteresis)."""
    if score is None:
        return "unknown"
    return "green" if score >= 70 else "yellow" if score >= 40 else "red"


def idle_band(idle: float | None) -> str:
    """The band of days since the last usage event."""
    low, high = IDLE_BANDS
    if idle is None:
        return "unknown"
    return "green" if idle < low else "red" if idle >= high else "yellow"


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

    def fold(self, event: Event, day: float) -> None:
        """Note one event, `day` days after the start of the history."""
        self.seen = True
        kind, type_, props = event.kind, event.type, event.properties
        if kind == "usage":
            self.usage[int(day)] = self.usage.get(int(day), 0) + 1
            self.first_usage = day if self.first_usage is None else self.first_usage
            self.last_usage = day
        elif type_ == "ticket_opened":
            self.tickets[props.ticket_id] = getattr(props, "priority", None) or "normal"  # type: ignore[attr-defined]
        elif type_ == "ticket_closed":
            self.tickets.pop(props.ticket_id, None)  # type: ignore[attr-defined]
        elif type_ == "payment_failed":
            self.failed.add(getattr(props, "invoice_id", None) or "")
        elif type_ in ("payment_recovered", "invoice_paid"):
            self.failed.discard(getattr(props, "invoice_id", None) or "")
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
            for old in [d for d in self.usage if d < day - 30]:
                del self.usage[old]  # only the last 30 days are ever read
        penalty = sum(TICKET_PENALTY.get(p, 10) for p in self.tickets.values())
        parts["tickets"] = max(0.0, 100.0 - penalty)
        payments = 100.0 - 50 * bool(self.failed) - 50 * (self.disputes > 0)
        cap = {"active": 100.0, "canceled": 20.0, "ended": 0.0}[self.subscription]
        parts["payments"] = max(0.0, min(payments, cap))
        weight = sum(RULE_WEIGHTS[k] for k in parts)
        return sum(RULE_WEIGHTS[k] * v for k, v in parts.items()) / weight
