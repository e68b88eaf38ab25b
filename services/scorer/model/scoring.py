"""Component scores, their weighted mean and bands with hysteresis."""

from __future__ import annotations

from dataclasses import dataclass

from services.scorer.model.state import AccountState

DAY = 86_400.0
WEIGHTS = {"usage": 0.4, "support": 0.25, "billing": 0.25, "sentiment": 0.1}
GREEN, YELLOW, HYSTERESIS = 70.0, 40.0, 3.0
BAND_RANK = {"red": 0, "yellow": 1, "green": 2}
TICKET_PENALTY = {"low": 5.0, "normal": 10.0, "high": 20.0, "urgent": 35.0}


@dataclass(frozen=True)
class ComponentScore:
    """A component's score (None without data), its effective weight and contribution."""

    name: str
    score: float | None
    weight: float
    contribution: float


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def usage_score(state: AccountState) -> float | None:
    """100 when active within a day, falling linearly to 0 after 30 idle days."""
    if state.last_activity_at is None or state.as_of is None:
        return None
    idle_days = max(0.0, (state.as_of - state.last_activity_at) / DAY)
    return _clamp(100.0 * (1.0 - max(0.0, idle_days - 1.0) / 29.0))


def support_score(state: AccountState) -> float | None:
    """100 less a penalty per open ticket by priority and per escalation."""
    if not state.tickets_seen:
        return None
    penalty = sum(TICKET_PENALTY.get(p, 10.0) for p in state.open_tickets.values())
    return _clamp(100.0 - penalty - 15.0 * state.escalations)


def billing_score(state: AccountState) -> float | None:
    """100 less penalties for unresolved failures, open disputes and scheduled cancellation."""
    if not state.payments_seen:
        return None
    penalty = 40.0 * state.failed_payments + 40.0 * state.open_disputes
    return _clamp(100.0 - penalty - (50.0 if state.cancel_scheduled else 0.0))


def sentiment_score(state: AccountState) -> float | None:
    """The latest NPS answer on a 0-100 scale."""
    return None if state.nps is None else state.nps * 10.0


def components(state: AccountState) -> list[ComponentScore]:
    """All components, with the weight of those without data given to the others."""
    raw = {
        "usage": usage_score(state),
        "support": support_score(state),
        "billing": billing_score(state),
        "sentiment": sentiment_score(state),
    }
    total = sum(WEIGHTS[name] for name, score in raw.items() if score is not None)
    out = []
    for name, score in raw.items():
        weight = WEIGHTS[name] / total if score is not None and total else 0.0
        out.append(ComponentScore(name, score, round(weight, 4), round(weight * (score or 0), 2)))
    return out


def overall(parts: list[ComponentScore]) -> float | None:
    """Weighted mean of the components with data; None when none has any."""
    if all(p.score is None for p in parts):
        return None
    return round(sum(p.contribution for p in parts), 2)


def _plain_band(score: float) -> str:
    return "green" if score >= GREEN else "yellow" if score >= YELLOW else "red"


def band_for(score: float | None, previous: str) -> str:
    """The band of `score`; an edge must be passed by HYSTERESIS points to leave `previous`."""
    if score is None:
        return "unknown"
    plain = _plain_band(score)
    if previous not in BAND_RANK or plain == previous:
        return plain
    # Judge the score as if it were HYSTERESIS points closer to the previous band.
    worse = BAND_RANK[plain] < BAND_RANK[previous]
    return _plain_band(score + HYSTERESIS if worse else score - HYSTERESIS)
