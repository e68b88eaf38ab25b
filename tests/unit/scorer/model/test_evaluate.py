"""Weighting, bands with hysteresis, unknown health and stale sources."""

from __future__ import annotations

import pytest

from services.scorer.model import AccountState, default_model
from services.scorer.model.config import Bands
from services.scorer.model.evaluate import band_for, evaluate_health
from tests.support.events import T0, days, event
from tests.support.model import fold_all

SPEC = default_model().base
AT = int((T0 + days(1)).timestamp())


def test_no_data_at_all_is_unknown_not_healthy() -> None:
    health = evaluate_health(AccountState("a"), SPEC, AT)
    assert (health.score, health.band) == (None, "unknown")
    assert all(w == 0 for w in health.weights.values())


def test_missing_components_give_their_weight_to_the_others() -> None:
    state, _ = fold_all([event("usage", "active", user_id="u"), event("payment", "invoice_paid")])
    health = evaluate_health(state, SPEC, AT)
    assert health.weights["support"] == health.weights["sentiment"] == 0
    assert health.weights["usage"] + health.weights["billing"] == pytest.approx(1.0)
    assert health.weights["usage"] / health.weights["billing"] == pytest.approx(0.4 / 0.25)
    assert health.score == pytest.approx(
        sum(health.contribution(p) for p in health.parts), abs=0.05
    )


def test_a_stale_source_is_flagged_and_left_out_instead_of_looking_healthy() -> None:
    state, _ = fold_all(
        [event("usage", "active", user_id="u"), event("ticket", "ticket_closed", ticket_id="t")]
    )
    fresh = evaluate_health(state, SPEC, AT)
    stale = evaluate_health(state, SPEC, AT, frozenset({"ticket"}))
    support = next(p for p in stale.parts if p.name == "support")
    assert support.stale and stale.weights["support"] == 0
    assert fresh.weights["support"] > 0


@pytest.mark.parametrize(
    ("score", "previous", "expected"),
    [
        (80, "unknown", "green"),
        (69, "green", "green"),  # within the hysteresis: stays
        (66, "green", "yellow"),
        (71, "yellow", "yellow"),  # must reach 73 to go back to green
        (73, "yellow", "green"),
        (38, "yellow", "yellow"),
        (36, "yellow", "red"),
        (72, "red", "yellow"),  # a large recovery still moves at least one band
        (90, "red", "green"),
        (10, "green", "red"),
        (None, "green", "unknown"),
    ],
)
def test_bands_have_hysteresis(score: float | None, previous: str, expected: str) -> None:
    assert band_for(score, previous, Bands()) == expected
