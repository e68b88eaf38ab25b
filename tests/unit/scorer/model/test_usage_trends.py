"""Issue 14, points 2, 3 and 8: usage that stops is red, a slow slide shows, a holiday is not a
dip."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from schemas import AccountUpdate, Event, RiskChange
from services.scorer.model import AccountState, apply_traits, default_model, evaluate
from services.scorer.model.components import Part, Signal, usage
from services.scorer.model.config import HealthModel, ModelFileError, parse_model
from services.scorer.model.evaluate import cap_score
from tests.support.events import T0, days, event
from tests.support.model import DEFAULT_TOML, fold_all

MODEL = default_model()
BASE = MODEL.base
NO_CALENDAR = parse_model(DEFAULT_TOML.replace('holidays = ["12-24/01-01"]', "holidays = []"))
SHORT_ONLY = parse_model(
    DEFAULT_TOML.replace("long_baseline_days = 84", "long_baseline_days = 28").replace(
        'holidays = ["12-24/01-01"]', "holidays = []"
    )
)
HOLIDAY = 53  # T0 + 53 days is 24 December


def use(first: int, last: int, per_day: float = 6, users: int = 6) -> list[Event]:
    """`per_day` usage events (rounded per day, at least fractional days add up) a day."""
    out, carried = [], 0.0
    for day in range(first, last):
        carried += per_day
        count, carried = int(carried), carried - int(carried)
        out += [
            event(
                "usage",
                "active",
                user_id=f"u{n % users}",
                at=T0 + days(day) + timedelta(hours=n % 8),
            )
            for n in range(count)
        ]
    return out


def clean_account(
    events: list[Event], segment: str = "mid_market", model: HealthModel = MODEL
) -> AccountState:
    """A mid-market account with paid invoices and a solved ticket, folded with `events`."""
    return clean_account_changes(events, segment, model)[0]


def clean_account_changes(
    events: list[Event], segment: str = "mid_market", model: HealthModel = MODEL
) -> tuple[AccountState, list[RiskChange]]:
    """`clean_account`, with the changes published on the way."""
    state = apply_traits(
        AccountState("acct-1"),
        AccountUpdate(account_id="acct-1", segment=segment, seats=10, updated_at=T0, source="crm"),
    )
    support = [
        event("payment", "invoice_paid", invoice_id="in0", at=T0),
        event("ticket", "ticket_opened", ticket_id="t0", at=T0 + days(1)),
        event("ticket", "ticket_closed", ticket_id="t0", at=T0 + days(1.5)),
    ]
    return fold_all(sorted(support + events, key=lambda e: e.occurred_at), state, model)


def signal(part: Part, code: str) -> Signal:
    return next(s for s in part.signals if s.code == code)


def evaluate_days(state: AccountState, first: int, last: int) -> list[RiskChange]:
    changes = []
    for day in range(first, last):
        _, change = evaluate(state, MODEL, T0 + days(day))
        if change is not None:
            changes.append(change)
    return changes


def test_usage_that_stops_makes_a_clean_account_red_and_says_why() -> None:
    state = clean_account(use(0, 28))
    changes = evaluate_days(state, 28, 28 + 33)
    assert state.band == "red"
    assert state.score is not None
    assert state.score <= cap_score("red", BASE.bands)
    into_red = next(c for c in changes if c.current.band == "red")
    assert into_red.reasons[0].code == "usage.stopped"
    assert re.match(r"Usage stopped: no product activity for \d+ days", into_red.reasons[0].message)
    assert "held at red" in into_red.reasons[0].message
    # within the grace period it is not held
    early = clean_account(use(0, 28))
    evaluate_days(early, 28, 28 + 5)
    assert early.band != "red"


def test_usage_that_resumes_releases_the_hold() -> None:
    state = clean_account(use(0, 28))
    evaluate_days(state, 28, 40)
    assert state.band == "red"
    state, _ = fold_all(use(40, 47), state)
    assert state.band != "red"


def test_a_slow_slide_shows_against_the_long_norm() -> None:
    """Usage falling 10% a week to 35% of its level: the three weeks before follow it down,
    the norm of 4 to 12 weeks ago does not (no holidays here, to see the slide alone)."""
    steady = use(0, 56, per_day=20)
    slide = [e for week in range(10) for e in use(56 + 7 * week, 63 + 7 * week, 20 * 0.9**week)]
    state = clean_account(steady + slide, model=NO_CALENDAR)
    end = int((T0 + days(56 + 70)).timestamp())
    activity = signal(usage(state, NO_CALENDAR.base, end), "usage.activity")
    assert "norm of 4 to 12 weeks ago" in activity.message
    assert activity.score < 60
    # judged on the trailing weeks alone, the same account reads as healthy
    assert signal(usage(state, SHORT_ONLY.base, end), "usage.activity").score > 80


def test_two_weeks_well_below_the_norm_hold_the_account_at_yellow() -> None:
    state, changes = clean_account_changes(use(0, 35, per_day=20) + use(35, 49, per_day=5))
    changes += evaluate_days(state, 49, 50)
    assert state.band == "yellow"
    assert state.score is not None and state.score <= cap_score("yellow", BASE.bands)
    reasons = [r for c in changes for r in c.reasons]
    assert any(r.code == "usage.declined" and "held at yellow" in r.message for r in reasons)


def test_one_quiet_week_is_not_a_slide() -> None:
    state = clean_account(use(0, 35, per_day=20) + use(35, 42, per_day=5) + use(42, 49, 20))
    evaluate_days(state, 49, 50)
    assert state.band == "green"


def test_a_few_events_less_on_a_small_account_is_not_a_slide() -> None:
    """A norm of 7 events a week: two weeks of 3 are within what small numbers do."""
    state = clean_account(use(0, 35, per_day=1) + use(35, 49, per_day=3 / 7))
    evaluate_days(state, 49, 50)
    assert state.band == "green"


def holiday_account(model_days: int = HOLIDAY + 12) -> list[Event]:
    """Steady use, a fifth of it over the year-end holidays."""
    return (
        use(0, HOLIDAY, per_day=20)
        + use(HOLIDAY, HOLIDAY + 9, per_day=4)
        + use(HOLIDAY + 9, model_days, per_day=20)
    )


def test_the_holiday_week_is_no_dip_for_a_model_with_a_calendar() -> None:
    state = clean_account(holiday_account())
    changes = evaluate_days(state, HOLIDAY, HOLIDAY + 12)
    assert [c for c in changes if c.delta is not None and c.delta < 0] == []
    assert state.band == "green"
    activity = signal(
        usage(state, BASE, int((T0 + days(HOLIDAY + 8)).timestamp())), "usage.activity"
    )
    assert activity.score == 100


def test_without_the_calendar_the_same_holiday_week_is_a_drop() -> None:
    state, changes = clean_account_changes(holiday_account(HOLIDAY + 9), model=NO_CALENDAR)
    end = int((T0 + days(HOLIDAY + 8)).timestamp())
    assert signal(usage(state, NO_CALENDAR.base, end), "usage.activity").score < 50
    assert any(c.delta is not None and c.delta < 0 for c in changes)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("13-01", "month must be in 1..12"),
        ("2026-12-31/2026-12-01", "ends before it starts"),
        ("01-01/03-01", "longer than 31 days"),
        ("christmas", "is not MM-DD or YYYY-MM-DD"),
    ],
)
def test_a_bad_holiday_is_refused_with_the_field_and_reason(entry: str, reason: str) -> None:
    text = DEFAULT_TOML.replace('holidays = ["12-24/01-01"]', f'holidays = ["{entry}"]')
    with pytest.raises(ModelFileError) as caught:
        parse_model(text)
    assert "base.calendar.holidays" in str(caught.value) and reason in str(caught.value)


def test_a_payment_unpaid_past_the_dunning_retries_holds_the_account_at_yellow() -> None:
    failed = [
        event("payment", "payment_failed", invoice_id="in1", at=T0 + days(30)),
        event("payment", "payment_failed", invoice_id="in1", at=T0 + days(32)),
    ]
    state, changes = clean_account_changes(use(0, 40, per_day=20) + failed)
    assert state.band == "green"  # retries under way: a critical change, not yet a hold
    changes += evaluate_days(state, 40, 42)
    assert state.band == "green"  # nine days on: a card is often updated by now
    changes += evaluate_days(state, 43, 44)
    assert state.band == "yellow"
    held = [r for c in changes for r in c.reasons if r.code == "billing.overdue"]
    assert held and held[0].message == (
        "A payment is still unpaid 11 days after its last attempt failed. "
        "Health is held at yellow while this lasts."
    )
    paid = event("payment", "invoice_paid", invoice_id="in1", at=T0 + days(44))
    state, _ = fold_all([paid], state)
    assert state.band == "green"


def test_a_scheduled_cancellation_holds_the_account_at_red_with_one_reason() -> None:
    cancel = event("payment", "subscription_canceled", at=T0 + days(30))
    _, changes = clean_account_changes([*use(0, 31, per_day=20), cancel])
    change = next(c for c in changes if c.current.band == "red")
    codes = [r.code for r in change.reasons]
    assert codes[0] == "billing.cancellation_scheduled"
    assert "billing.cancellation" not in codes[:2]  # the critical reason already says it
