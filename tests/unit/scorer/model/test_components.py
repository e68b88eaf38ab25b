"""Each component's signals and the sentences that explain them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schemas import Event
from services.scorer.model import AccountState, default_model
from services.scorer.model.components import Part, billing, sentiment, support, usage
from services.scorer.model.config import Spec
from tests.support.events import T0, days, event
from tests.support.model import fold_all

BASE = default_model().base


def at(n_days: float) -> int:
    return int((T0 + days(n_days)).timestamp())


def signal(part: Part, code: str) -> tuple[float, str]:
    found = next(s for s in part.signals if s.code == code)
    return found.score, found.message


def steady_use(weeks: int = 4, per_day: int = 3, users: int = 3) -> list[Event]:
    return [
        event("usage", "active", user_id=f"u{n % users}", at=T0 + days(d))
        for d in range(weeks * 7)
        for n in range(per_day)
    ]


def test_activity_is_judged_against_the_accounts_own_norm() -> None:
    state, _ = fold_all(steady_use())
    assert signal(usage(state, BASE, at(27)), "usage.activity")[0] == 100
    # a complete week without activity: nothing this week against a norm of 21 events
    score, message = signal(usage(state, BASE, at(35)), "usage.activity")
    assert score == pytest.approx(activity_score(0, 21))
    assert message == "no activity this week, against a norm of 21 events a week"
    half = [
        e for e in steady_use() if e.occurred_at < T0 + days(21) or e.properties.user_id == "u0"
    ]
    state, _ = fold_all(half)
    assert signal(usage(state, BASE, at(27)), "usage.activity")[0] < 100  # six days of it
    score, message = signal(usage(state, BASE, at(28)), "usage.activity")  # a complete week
    assert score == pytest.approx(activity_score(7, 21))  # a third of the norm
    assert (
        message == "weekly activity is 67% below its norm of the 3 weeks before (21 events a week)"
    )


def activity_score(week: float, norm: float) -> float:
    """The activity score of `week` events against `norm`: the ratio, with `prior_events` added
    to both sides, placed between the zero ratio (0) and the full ratio (100)."""
    rules = BASE.usage
    ratio = (week + rules.prior_events) / (norm + rules.prior_events)
    span = rules.activity_full_ratio - rules.activity_zero_ratio
    return max(0.0, min(100.0, 100 * (ratio - rules.activity_zero_ratio) / span))


def test_a_larger_account_pays_more_for_the_same_share_of_activity_lost() -> None:
    """A third of a norm of 21 events could be chance; a third of 2,100 is not."""
    assert activity_score(7, 21) > activity_score(700, 2100) + 20


def test_activity_scores_full_marks_within_the_usual_wobble_of_the_norm() -> None:
    wobble = [e for i, e in enumerate(steady_use()) if e.occurred_at < T0 + days(21) or i % 6]
    state, _ = fold_all(wobble)  # the last week at 5/6 of the norm
    assert signal(usage(state, BASE, at(28)), "usage.activity")[0] == 100


def test_young_accounts_have_no_norm_yet() -> None:
    state, _ = fold_all(steady_use(weeks=1))
    assert "usage.activity" not in {s.code for s in usage(state, BASE, at(6)).signals}


def activity_through_a_day(use: list[Event], day: int) -> list[float]:
    """The activity score at every hour of `day` (from 00:00), with the events up to then."""
    state, scores = AccountState("acct-1"), []
    pending = sorted(use, key=lambda e: e.occurred_at)
    for hour in range(24):
        now = T0 + days(day) + timedelta(hours=hour - T0.hour)
        state, _ = fold_all([e for e in pending if e.occurred_at <= now], state)
        pending = [e for e in pending if e.occurred_at > now]
        scores.append(signal(usage(state, BASE, int(now.timestamp())), "usage.activity")[0])
    return scores


def test_a_steady_account_is_on_its_norm_at_any_time_of_day() -> None:
    # three events a day at 09:00, 13:00 and 17:00 for six weeks: today's partial day is no drop
    use = [
        event("usage", "active", user_id="u", at=T0 + days(d) + timedelta(hours=h))
        for d in range(43)
        for h in (0, 4, 8)
    ]
    assert activity_through_a_day(use, 42) == [100.0] * 24


def test_a_weekday_only_account_is_on_its_norm_every_day_of_the_week() -> None:
    # T0 is a Sunday: days 1-5 of each week are Monday to Friday
    use = [
        event("usage", "active", user_id="u", at=T0 + days(d) + timedelta(hours=h))
        for d in range(50)
        if d % 7 in range(1, 6)
        for h in (0, 4)
    ]
    for day in range(42, 49):
        assert activity_through_a_day(use, day) == [100.0] * 24, f"weekday {day % 7}"


def test_activity_today_counts_once_it_is_ahead_of_the_same_day_last_week() -> None:
    # four steady weeks, eight quiet days, then back today: not "no activity this week"
    use = [*steady_use(), event("usage", "active", user_id="u", at=T0 + days(36))]
    state, _ = fold_all(use)
    score, message = signal(usage(state, BASE, at(36)), "usage.activity")
    assert score == pytest.approx(activity_score(1, 20))  # the 3 weeks before: 60 events
    assert message.startswith("weekly activity is 95% below")


def test_seats_in_use_recency_and_breadth() -> None:
    state, _ = fold_all(
        [
            *steady_use(per_day=6, users=6),
            event("usage", "feature_used", user_id="u1", feature="reports", at=T0 + days(27)),
        ],
        AccountState("acct-1", traits={"seats": 20}),
    )
    part = usage(state, BASE, at(27))
    assert signal(part, "usage.seats")[1] == "6 of 20 seats were active this week"
    assert signal(part, "usage.breadth") == (50.0, "uses 1 of 4 key features (reports)")
    assert signal(part, "usage.recency")[0] == 100
    idle = usage(state, BASE, at(40))
    score, message = signal(idle, "usage.recency")
    assert score < 50 and message == "no product activity for 13 days"
    assert idle.score is not None and part.score is not None and idle.score < part.score


def test_onboarding_accounts_are_judged_on_time_to_first_value() -> None:
    onboarding = default_model().spec_for(None, "onboarding")
    state, _ = fold_all([event("usage", "active", user_id="u", at=T0)])
    assert usage(state, onboarding, at(5)).score == 100
    late = usage(state, onboarding, at(12))
    assert late.score is not None and late.score < 50
    assert "no first value after 12 days of onboarding (target 14)" in late.signals[0].message
    state, _ = fold_all(
        [event("usage", "feature_used", user_id="u", feature="reports", at=T0 + days(3))], state
    )
    assert usage(state, onboarding, at(12)).score == 100


def test_support_counts_open_tickets_by_priority_and_escalations() -> None:
    state, _ = fold_all(
        [
            event("ticket", "ticket_opened", ticket_id="1", priority="urgent"),
            event("ticket", "ticket_opened", ticket_id="2", priority="low"),
            event("ticket", "ticket_escalated", ticket_id="1"),
            event("ticket", "ticket_opened", ticket_id="3"),
            event("ticket", "ticket_closed", ticket_id="3", at=T0 + days(0.1)),
        ]
    )
    part = support(state, BASE, at(0.2))
    assert signal(part, "support.open_tickets") == (100 - 35 - 3, "2 open tickets, 1 urgent")
    assert signal(part, "support.escalations")[1] == "1 open ticket escalated"
    assert part.score == 100 - 38 - 15


def test_a_close_that_arrives_before_its_open_still_closes_the_ticket() -> None:
    closed_first, _ = fold_all(
        [
            event("ticket", "ticket_closed", ticket_id="9", at=T0 + days(1)),
            event("ticket", "ticket_opened", ticket_id="9"),
        ]
    )
    assert support(closed_first, BASE, at(1)).score == 100


def test_ticket_rate_against_the_norm_and_low_csat() -> None:
    history = [
        event("ticket", "ticket_opened", ticket_id=f"h{d}", at=T0 + days(d))
        for d in range(0, 21, 7)
    ]
    closes = [
        event("ticket", "ticket_closed", ticket_id=f"h{d}", at=T0 + days(d + 1))
        for d in range(0, 21, 7)
    ]
    burst = [
        event("ticket", "ticket_opened", ticket_id=f"b{n}", at=T0 + days(22)) for n in range(4)
    ]
    ratings = [event("ticket", "csat_rating", score=s, at=T0 + days(22)) for s in (2, "bad")]
    state, _ = fold_all(sorted([*history, *closes, *burst, *ratings], key=lambda e: e.occurred_at))
    part = support(state, BASE, at(23))
    assert (
        signal(part, "support.ticket_rate")[1] == "4 tickets opened this week, 3.0x the usual rate"
    )
    assert "support.csat" not in {s.code for s in part.signals}  # CSAT counts in sentiment
    assert signal(sentiment(state, BASE, at(23)), "sentiment.csat")[1] == (
        "recent CSAT averages 1.5 of 5"
    )


def test_the_ticket_rate_is_judged_on_complete_days_at_any_time_of_day() -> None:
    """One ticket a day at 18:00 for five weeks and four more on day 29: on day 35 the last
    complete week (days 28-34, today taking day 28's place once ahead of it) is a burst at any
    hour, not only once today's ticket has arrived."""
    evening = timedelta(hours=18 - T0.hour)
    tickets = [
        event("ticket", "ticket_opened", ticket_id=f"d{d}", at=T0 + days(d) + evening)
        for d in range(36)
    ] + [
        event("ticket", "ticket_opened", ticket_id=f"b{n}", at=T0 + days(29) + evening)
        for n in range(4)
    ]  # fmt: skip
    state, seen = AccountState("acct-1"), []
    pending = sorted(tickets, key=lambda e: e.occurred_at)
    for hour in range(24):
        now = T0 + days(35) + timedelta(hours=hour - T0.hour)
        state, _ = fold_all([e for e in pending if e.occurred_at <= now], state)
        pending = [e for e in pending if e.occurred_at > now]
        part = support(state, BASE, int(now.timestamp()))
        seen.append(next((s.message for s in part.signals if s.code == "support.ticket_rate"), ""))
    assert seen == ["11 tickets opened this week, 1.6x the usual rate"] * 24


def test_billing_failures_resolve_by_invoice_or_by_a_later_recovery() -> None:
    state, _ = fold_all(
        [
            event("payment", "payment_failed", invoice_id="in1"),
            event("payment", "payment_failed", invoice_id="in2"),
        ]
    )
    assert signal(billing(state, BASE, at(0)), "billing.payment_failures") == (
        20.0,
        "2 failed payments unresolved",
    )
    state, _ = fold_all(
        [event("payment", "invoice_paid", invoice_id="in1", at=T0 + days(1))], state
    )
    assert billing(state, BASE, at(1)).score == 60
    state, _ = fold_all([event("payment", "payment_recovered", at=T0 + days(2))], state)
    assert billing(state, BASE, at(2)).score == 100


def test_billing_disputes_cancellation_downgrade_trial_and_end() -> None:
    spec: Spec = BASE
    state, _ = fold_all(
        [
            event("payment", "dispute_opened", dispute_id="dp1"),
            event("payment", "subscription_canceled"),
            event("payment", "subscription_changed", mrr_before=1000, mrr_after=750),
        ]
    )
    part = billing(state, spec, at(1))
    codes = {s.code for s in part.signals}
    assert codes == {"billing.disputes", "billing.cancellation", "billing.downgrade"}
    assert signal(part, "billing.downgrade")[1] == "MRR fell 25% from 1000 to 750"
    assert part.score == 0
    trial, _ = fold_all([event("payment", "trial_ending")])
    assert billing(trial, spec, at(1)).score == 90
    assert billing(trial, spec, at(9)).score == 100
    ended, _ = fold_all([event("payment", "subscription_ended")])
    assert billing(ended, spec, at(0)).score == 0


def test_sentiment_from_nps_and_csat() -> None:
    state, _ = fold_all(
        [event("usage", "nps_response", score=3), event("ticket", "csat_rating", score=5)]
    )
    part = sentiment(state, BASE, at(0))
    assert part.score == 0.6 * 30 + 0.4 * 100
    assert sentiment(AccountState("empty"), BASE, at(0)).score is None


def test_signals_are_explained_worst_first_with_their_figures_filled_in() -> None:
    state, _ = fold_all(steady_use(), AccountState("acct-1", traits={"seats": 8}))
    part = usage(state, BASE, at(27 + 12))  # twelve quiet days after four steady weeks
    worst = part.worst_first()
    assert [s.code for s in worst] == ["usage.seats", "usage.activity"]  # recency weighs 0
    assert worst[0].score < worst[1].score
    assert worst[0].message == "0 of 8 seats were active this week"
    assert worst[1].message == "no activity this week, against a norm of 17 events a week"
    assert signal(part, "usage.recency")[1] == "no product activity for 12 days"


def test_a_signal_of_weight_zero_is_measured_but_neither_scores_nor_explains() -> None:
    assert BASE.usage.signal_weights["recency"] == 0
    state, _ = fold_all(steady_use())
    part = usage(state, BASE, at(27 + 12))  # twelve quiet days: recency well down
    recency, _ = signal(part, "usage.recency")
    activity, _ = signal(part, "usage.activity")
    assert recency < 50 and part.score == pytest.approx(activity)  # the only weighted signal
    assert [s.code for s in part.worst_first()] == ["usage.activity"]


def test_a_signal_of_weight_zero_scores_the_component_when_nothing_else_has_data() -> None:
    state, _ = fold_all([event("usage", "active", user_id="u", at=T0)])
    part = usage(state, BASE, at(4))  # no norm yet, no seats, no features: recency alone
    assert [s.code for s in part.signals] == ["usage.recency"]
    assert part.score == signal(part, "usage.recency")[0] == pytest.approx(100 * (1 - 2 / 19))
    assert [s.code for s in part.worst_first()] == ["usage.recency"]
