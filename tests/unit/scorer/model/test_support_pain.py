"""Support pain a CSM should see, though support and sentiment weigh too little to leave green on
their own: a high-priority ticket left waiting, and repeated poor CSAT ratings hold the account
at yellow while they last."""

from __future__ import annotations

import pytest

from services.scorer.model.config import ModelFileError, parse_model
from tests.support.events import T0, days, event
from tests.support.model import DEFAULT_TOML, fold_all
from tests.unit.scorer.model.test_usage_trends import (
    MODEL,
    clean_account_changes,
    evaluate_days,
    use,
)


def test_a_high_priority_ticket_waiting_ten_days_holds_the_account_at_yellow() -> None:
    opened = event("ticket", "ticket_opened", ticket_id="t9", priority="high", at=T0 + days(30))
    state, changes = clean_account_changes([*use(0, 40, per_day=20), opened])
    assert state.band == "green"  # an open high-priority ticket costs points, no more
    changes += evaluate_days(state, 40, 42)
    assert state.band == "yellow"
    held = next(r for c in changes for r in c.reasons if r.code == "support.stuck_ticket")
    assert held.message == (
        "A high-priority or escalated ticket has waited 10 days without an update. "
        "Health is held at yellow while this lasts."
    )
    closed = event("ticket", "ticket_closed", ticket_id="t9", at=T0 + days(42))
    state, _ = fold_all([closed], state)
    assert state.band == "green"


def test_an_escalated_normal_ticket_counts_as_waiting_and_a_low_one_does_not() -> None:
    escalated = [
        event("ticket", "ticket_opened", ticket_id="t8", priority="normal", at=T0 + days(30)),
        event("ticket", "ticket_escalated", ticket_id="t8", at=T0 + days(31)),
    ]
    state, _ = clean_account_changes([*use(0, 40, per_day=20), *escalated])
    evaluate_days(state, 40, 42)
    assert state.band == "yellow"
    low = event("ticket", "ticket_opened", ticket_id="t7", priority="low", at=T0 + days(30))
    quiet, _ = clean_account_changes([*use(0, 40, per_day=20), low])
    evaluate_days(quiet, 40, 45)
    assert quiet.band == "green"


def rating(day: float, score: int, ticket: str) -> list:  # type: ignore[type-arg]
    return [
        event("ticket", "ticket_opened", ticket_id=ticket, at=T0 + days(day - 1)),
        event("ticket", "ticket_closed", ticket_id=ticket, at=T0 + days(day - 0.5)),
        event("ticket", "csat_rating", score=score, ticket_id=ticket, at=T0 + days(day)),
    ]


def test_two_poor_csat_ratings_hold_the_account_at_yellow_and_one_does_not() -> None:
    one, _ = clean_account_changes([*use(0, 40, per_day=20), *rating(30, 1, "a")])
    assert one.band == "green"
    ratings = [*rating(30, 1, "a"), *rating(35, 2, "b")]
    state, changes = clean_account_changes([*use(0, 40, per_day=20), *ratings])
    assert state.band == "yellow"
    held = next(r for c in changes for r in c.reasons if r.code == "sentiment.poor_csat")
    assert held.message == (
        "2 of the last 2 CSAT ratings in 42 days were 2 of 5 or lower. "
        "Health is held at yellow while this lasts."
    )
    # six weeks on, the ratings are history and the hold ends
    later, _ = clean_account_changes([*use(0, 80, per_day=20), *ratings])
    assert later.band == "green"


def test_poor_ratings_among_more_good_ones_hold_nothing() -> None:
    ratings = [*rating(26, 1, "a"), *rating(28, 5, "b"), *rating(30, 2, "c"), *rating(32, 5, "d")]
    state, _ = clean_account_changes([*use(0, 40, per_day=20), *ratings])
    assert state.band == "green"


def test_both_holds_can_be_turned_off_in_the_model_file() -> None:
    text = DEFAULT_TOML.replace("poor_csat_count = 2", "poor_csat_count = 0")
    text = text.replace("stuck_days = 10", "stuck_days = 0")
    model = parse_model(text)
    assert model.base.support.stuck_days == 0 and model.base.sentiment.poor_csat_count == 0
    assert MODEL.base.support.stuck_days == 10


def test_a_bad_poor_csat_setting_is_refused_with_the_field() -> None:
    text = DEFAULT_TOML.replace("poor_csat = 2", "poor_csat = 7")
    with pytest.raises(ModelFileError) as caught:
        parse_model(text)
    assert "poor_csat" in str(caught.value)
