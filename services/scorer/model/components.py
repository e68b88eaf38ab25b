"""The four components of health, each 0-100 with the signals that explain it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from services.scorer.model.config import SentimentRules, Spec, SupportRules, UsageRules
from services.scorer.model.state import DAY, AccountState
from services.scorer.model.usage_window import idle_days, usage_window

SEATS_ESTIMATED = "about {} of {} seats active this week"
"""The seats signal of an account with too many users to count exactly (a HyperLogLog's
estimate, within a few percent)."""


class Signal(NamedTuple):
    """One measured thing inside a component, with a sentence a CSM understands.

    The sentence is `text` formatted with `args` (`str.format`), only when it is read: most
    evaluations explain nothing.
    """

    code: str
    score: float
    text: str
    args: tuple[Any, ...] = ()

    @property
    def message(self) -> str:
        """The sentence."""
        return self.text.format(*self.args) if self.args else self.text


Cap = tuple[str, Signal]
"""The band a condition holds the account at, and the signal that explains it."""


class Part(NamedTuple):
    """A component: its score (None without data), staleness and signals (`worst_first` sorts
    them for an explanation), the band a condition holds the account at, if any (`cap`: the
    band and the signal that explains it), and the weights its signals are scored with, by the
    part of their code after the dot (None: all of them count)."""

    name: str
    score: float | None
    stale: bool = False
    signals: tuple[Signal, ...] | list[Signal] = ()
    cap: Cap | None = None
    weights: Mapping[Any, float] | None = None

    def worst_first(self) -> list[Signal]:
        """The signals that make the score, lowest score first: a signal of weight 0 is
        measured (and fitted on) but explains nothing while a weighted one has data."""
        counted = self.signals
        if self.weights is not None:
            weights = self.weights
            counted = [s for s in self.signals if _weight(s, weights) > 0] or self.signals
        return sorted(counted, key=_score_of)


def _weight(signal: Signal, weights: Mapping[Any, float]) -> float:
    return weights.get(signal.code.partition(".")[2], 0.0)


def _score_of(signal: Signal) -> float:
    return signal.score


def plural(count: int, noun: str) -> str:
    """`1 open ticket`, `2 open tickets`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def clamp(value: float) -> float:
    """Bound to 0-100."""
    return max(0.0, min(100.0, value))


def week_and_norm(
    series: dict[int, int], state: AccountState, spec: Spec, at: int
) -> tuple[int, float | None]:
    """A day-keyed count's total over the last complete week and the account's weekly norm
    before it (None with too little history).

    Today is still under way, so it is compared like for like: it replaces the same weekday a
    week ago only once it is ahead of it. A steady account reads on its norm at any time of day,
    and a weekday-only one on every day of the week; a change shows from its first complete day,
    or as soon as today is ahead of the day it replaces.
    """
    windows = spec.time
    today = at // DAY
    week_from = today - windows.recent_days  # the complete week is week_from .. today - 1
    history_from = max(today - windows.baseline_days, (state.first_at or at) // DAY)
    week = history = 0
    for day, count in series.items():
        if week_from < day < today:
            week += count
        elif history_from <= day < week_from:
            history += count
    week += max(series.get(today, 0), series.get(week_from, 0))
    history_days = week_from - history_from
    if history_days < windows.recent_days:
        return week, None
    return week, history * windows.recent_days / history_days


def _weighted(
    name: str, signals: list[Signal], weights: Mapping[Any, float], cap: Cap | None = None
) -> Part:
    """The component `name` scored as the mean of its signals' scores, weighted by the part of
    their code after the dot. When only signals of weight 0 have data, their plain mean scores
    it: a zero weight defers to the others, it does not leave the component without a score."""
    total = points = 0.0
    for signal in signals:
        weight = _weight(signal, weights)
        total += weight
        points += weight * signal.score
    score = points / total if total > 0 else sum(s.score for s in signals) / len(signals)
    return Part(name, score, False, signals, cap, weights)


def usage(state: AccountState, spec: Spec, at: int) -> Part:
    """Activity against the account's own norms, seats in use, recency and breadth; usage that
    stopped holds the account at red."""
    rules = spec.usage
    if state.last_active is None:
        if rules.mode == "onboarding" and state.first_at is not None:
            return Part("usage", *_onboarding(state, spec, at))
        return Part("usage", None)
    if rules.mode == "onboarding":
        return Part("usage", *_onboarding(state, spec, at))
    window = usage_window(state, spec, at)
    signals: list[Signal] = []
    norm = window.norm()
    if norm is not None and norm[0] < rules.activity_min_norm:
        norm = None
    segment = (1.0, 1.0) if norm is None else segment_levels(state, spec, at)
    if norm is not None:
        signals.append(_activity(window.week, *norm, spec, segment[0]))
    seats = state.traits.get("seats")
    if seats:
        active, exact = state.users.count(window.since)
        score = clamp(100 * active / (seats * rules.seat_target))
        text = "{} of {} seats were active this week" if exact else SEATS_ESTIMATED
        signals.append(Signal("usage.seats", score, text, (active, seats)))
    idle = idle_days(state, spec, at)
    span = max(rules.recency_zero_days - rules.recency_grace_days, 1e-9)
    recency = clamp(100 * (1 - max(0.0, idle - rules.recency_grace_days) / span))
    signals.append(Signal("usage.recency", recency, "no product activity for {:.0f} days", (idle,)))
    keys = rules.key.names
    if keys and (state.features or state.first_value is not None):
        since = at // DAY - spec.time.baseline_days
        used = [f for f in keys if state.features.get(f, since) > since]
        breadth = clamp(100 * len(used) / (len(keys) * rules.breadth_target))
        which = f" ({', '.join(used)})" if used else ""
        text = "uses {} of {} key features{}"
        signals.append(Signal("usage.breadth", breadth, text, (len(used), len(keys), which)))
    cap = None
    if norm is not None:
        cap = _declined(window.week, window.prior, norm[0], segment, rules)
    if norm is not None and idle >= max(rules.stopped_days, 7 * rules.stopped_events / norm[0]):
        text = (
            "usage stopped: no product activity for {:.0f} days,"
            " against a norm of {:.0f} events a week"
        )
        cap = ("red", Signal("usage.stopped", 0.0, text, (idle, norm[0])))
    return _weighted("usage", signals, rules.signal_weights, cap)


def segment_levels(state: AccountState, spec: Spec, at: int) -> tuple[float, float]:
    """How the account's segment uses the product this week and the week before, against its
    norm (1.0: as usual, or not known); the account's own week is judged against its norm times
    its segment's (population.py)."""
    population = state.population
    if population is None:
        return 1.0, 1.0
    segment = state.traits.get("segment")
    today = at // DAY
    this = population.level(segment, spec, today)
    prior = population.level(segment, spec, spec.calendar.days.back(today, spec.time.recent_days))
    return (1.0 if this is None else this), (1.0 if prior is None else prior)


def _declined(
    week: int, prior: int, norm: float, segment: tuple[float, float], rules: UsageRules
) -> tuple[str, Signal] | None:
    """Both this week and the week before well below the norm (times the segment's level each
    week): a slide, not a quiet week."""
    k = rules.prior_events
    if week + k >= rules.decline_ratio * (
        norm * segment[0] + k
    ) or prior + k >= rules.decline_ratio * (norm * segment[1] + k):
        return None
    text = "usage fell: this week and the week before ran at {:.0f}% and {:.0f}% of its norm"
    args = (100 * week / norm, 100 * prior / norm)
    return "yellow", Signal("usage.declined", 0.0, text, args)


@lru_cache(maxsize=64)
def _norm_label(which: str, recent_days: int, baseline_days: int, long_days: int) -> str:
    """How the norm an activity is judged against is named."""
    if which == "short":
        return f"its norm of the {(baseline_days - recent_days) // 7} weeks before"
    return f"its norm of {baseline_days // 7} to {long_days // 7} weeks ago"


SEGMENT_QUIET = ", while its segment runs at {:.0f}% of its usual level"
"""Added to the activity signal when the account's segment is quiet this week."""


def _activity(week: int, norm: float, which: str, spec: Spec, segment: float = 1.0) -> Signal:
    """This week's activity against the norm times the segment's level: full marks from
    `activity_full_ratio` of it, none at `activity_zero_ratio`."""
    rules, time, ratio = spec.usage, spec.time, week / norm
    args: tuple[Any, ...]
    if week == 0:
        text, args = "no activity this week, against a norm of {:.0f} events a week", (norm,)
    else:
        label = _norm_label(which, time.recent_days, time.baseline_days, time.long_baseline_days)
        if ratio < 0.95:
            text, args = (
                "weekly activity is {:.0f}% below {} ({:.0f} events a week)",
                (
                    100 * (1 - ratio),
                    label,
                    norm,
                ),
            )
        else:
            text, args = "weekly activity is at or above {}", (label,)
    if segment < 0.95:
        text, args = text + SEGMENT_QUIET, (*args, 100 * segment)
    span = rules.activity_full_ratio - rules.activity_zero_ratio
    shrunk = (week + rules.prior_events) / (norm * segment + rules.prior_events)
    score = clamp(100 * (shrunk - rules.activity_zero_ratio) / span)
    return Signal("usage.activity", score, text, args)


def _onboarding(state: AccountState, spec: Spec, at: int) -> tuple[float, bool, list[Signal]]:
    ttv = spec.usage.time_to_value_days
    if state.first_value is not None:
        days = (state.first_value - (state.first_at or state.first_value)) / DAY
        return (
            100.0,
            False,
            [Signal("usage.first_value", 100.0, f"reached first value in {days:.0f} days")],
        )
    waited = (at - (state.first_at or at)) / DAY
    score = clamp(100 * (1 - max(0.0, waited - ttv / 2) / (ttv / 2)))
    message = f"no first value after {waited:.0f} days of onboarding (target {ttv:.0f})"
    return score, False, [Signal("usage.first_value", score, message)]


def support(state: AccountState, spec: Spec, at: int) -> Part:
    """Open tickets by priority, escalations, ticket rate against the norm.

    CSAT answers count in sentiment only: one source, counted once.
    """
    if "t" not in state.kinds:
        return Part("support", None)
    rules = spec.support
    signals: list[Signal] = []
    open_tickets = [t for t in state.tickets.values() if t[1]]
    if open_tickets:
        penalty = sum(rules.priority_penalty.get(t[2], 8) for t in open_tickets)
        urgent = sum(1 for t in open_tickets if t[2] == "urgent")
        detail = f", {urgent} urgent" if urgent else ""
        signals.append(
            Signal(
                "support.open_tickets",
                clamp(100 - penalty),
                f"{plural(len(open_tickets), 'open ticket')}{detail}",
            )
        )
    escalated = sum(1 for t in open_tickets if t[3])
    if escalated:
        score = clamp(100 - rules.escalation_penalty * escalated)
        signals.append(
            Signal("support.escalations", score, f"{plural(escalated, 'open ticket')} escalated")
        )
    recent, norm = week_and_norm(state.opened, state, spec, at)
    if norm is not None and recent >= max(2.0, rules.rate_factor * norm):
        times = f"{recent / norm:.1f}x the usual rate" if norm else "none in the weeks before"
        message = f"{recent} tickets opened this week, {times}"
        signals.append(Signal("support.ticket_rate", clamp(100 - rules.rate_penalty), message))
    penalty = sum(100 - s.score for s in signals)
    return Part("support", clamp(100 - penalty), False, signals, _stuck(open_tickets, rules, at))


STUCK_PRIORITIES = ("high", "urgent")


def _stuck(open_tickets: list[list[Any]], rules: SupportRules, at: int) -> Cap | None:
    """A high-priority or escalated ticket open without an update for `stuck_days`: the
    customer has been waiting on us long enough for a CSM to step in."""
    if rules.stuck_days <= 0:
        return None
    waiting = [(at - t[0]) / DAY for t in open_tickets if t[2] in STUCK_PRIORITIES or t[3]]
    longest = max(waiting, default=0.0)
    if longest < rules.stuck_days:
        return None
    text = "a high-priority or escalated ticket has waited {:.0f} days without an update"
    return "yellow", Signal("support.stuck_ticket", 0.0, text, (longest,))


def billing(state: AccountState, spec: Spec, at: int) -> Part:
    """Unresolved payment failures, disputes, downgrades, cancellation and trial ending."""
    if "p" not in state.kinds:
        return Part("billing", None)
    rules = spec.billing
    signals: list[Signal] = []
    status = state.subscription[2] if state.subscription else "active"
    if status == "ended":
        return Part(
            "billing", 0.0, False, [Signal("billing.ended", 0.0, "the subscription has ended")]
        )
    unpaid = [
        t_fail for t_fail, t_ok in state.invoices.values() if t_fail > max(t_ok, state.resolved_all)
    ]
    failed = len(unpaid)
    if failed:
        score = clamp(100 - rules.failed_payment_penalty * failed)
        signals.append(
            Signal(
                "billing.payment_failures", score, f"{plural(failed, 'failed payment')} unresolved"
            )
        )
    cap = None
    if unpaid and (overdue := (at - min(unpaid)) / DAY) >= rules.overdue_days:
        text = "a payment is still unpaid {:.0f} days after its last attempt failed"
        cap = ("yellow", Signal("billing.overdue", 0.0, text, (overdue,)))
    disputes = sum(
        1
        for t_open, t_closed in state.disputes.values()
        if t_open > max(t_closed, state.disputes_closed_all)
    )
    if disputes:
        score = clamp(100 - rules.dispute_penalty * disputes)
        signals.append(
            Signal("billing.disputes", score, f"{plural(disputes, 'payment dispute')} open")
        )
    if status == "canceled":
        score = clamp(100 - rules.cancellation_penalty)
        cancellation = Signal("billing.cancellation", score, "the subscription is set to cancel")
        signals.append(cancellation)
        if rules.cancellation_band != "none":
            cap = (rules.cancellation_band, cancellation)
    if state.mrr_change:
        t, before, after = state.mrr_change
        if after < before and at - t <= rules.downgrade_window_days * DAY and before > 0:
            share = 1 - after / before
            score = clamp(100 - min(rules.downgrade_max_penalty, 100 * share))
            signals.append(
                Signal(
                    "billing.downgrade",
                    score,
                    f"MRR fell {100 * share:.0f}% from {before:.0f} to {after:.0f}",
                )
            )
    started_after = (
        state.subscription and state.subscription[0] > state.trial_end and status == "active"
    )
    if state.trial_end and not started_after and at - state.trial_end <= 7 * DAY:
        signals.append(
            Signal(
                "billing.trial_ending",
                clamp(100 - rules.trial_ending_penalty),
                "the trial ends soon",
            )
        )
    penalty = sum(100 - s.score for s in signals)
    return Part("billing", clamp(100 - penalty), False, signals, cap)


def _csat_average(state: AccountState) -> float | None:
    return sum(s for _, s in state.csat) / len(state.csat) if state.csat else None


def sentiment(state: AccountState, spec: Spec, at: int) -> Part:
    """NPS (0-10) and CSAT (1-5) answers on a 0-100 scale."""
    rules = spec.sentiment
    signals: list[Signal] = []
    if state.nps:
        nps = sum(s for _, s in state.nps) / len(state.nps)
        signals.append(
            Signal("sentiment.nps", nps * 10, "recent NPS answers average {:.1f} of 10", (nps,))
        )
    average = _csat_average(state)
    if average is not None:
        signals.append(
            Signal(
                "sentiment.csat", (average - 1) * 25, "recent CSAT averages {:.1f} of 5", (average,)
            )
        )
    if not signals:
        return Part("sentiment", None)
    weights = {"nps": rules.nps_weight, "csat": rules.csat_weight}
    return _weighted("sentiment", signals, weights, _poor_csat(state, rules, at))


def _poor_csat(state: AccountState, rules: SentimentRules, at: int) -> Cap | None:
    """Repeated poor CSAT ratings lately, more poor than not: a pattern of bad experiences."""
    if rules.poor_csat_count <= 0:
        return None
    recent = [score for t, score in state.csat if at - t <= rules.poor_csat_days * DAY]
    poor = sum(1 for score in recent if score <= rules.poor_csat)
    if poor < rules.poor_csat_count or 2 * poor <= len(recent):
        return None
    text = "{} of the last {} CSAT ratings in {:.0f} days were {:g} of 5 or lower"
    args = (poor, len(recent), rules.poor_csat_days, rules.poor_csat)
    return "yellow", Signal("sentiment.poor_csat", 0.0, text, args)


ComponentFunction = Callable[[AccountState, Spec, int], Part]

COMPONENT_FUNCTIONS: dict[str, ComponentFunction] = {
    "usage": usage,
    "support": support,
    "billing": billing,
    "sentiment": sentiment,
}
