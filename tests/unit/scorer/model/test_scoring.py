"""Components, weighting and bands."""

from __future__ import annotations

import pytest

from services.scorer.model.scoring import DAY, band_for, components, overall, usage_score
from services.scorer.model.state import AccountState


def test_no_data_at_all_is_unknown_not_healthy() -> None:
    state = AccountState("a")
    parts = components(state)
    assert overall(parts) is None
    assert band_for(overall(parts), "unknown") == "unknown"
    assert all(p.weight == 0 for p in parts)


def test_missing_components_give_their_weight_to_the_others() -> None:
    state = AccountState("a", as_of=10 * DAY, last_activity_at=10 * DAY, payments_seen=True)
    weights = {p.name: p.weight for p in components(state)}
    assert weights["support"] == weights["sentiment"] == 0
    assert weights["usage"] + weights["billing"] == pytest.approx(1.0)
    assert weights["usage"] > weights["billing"]


def test_usage_falls_with_days_of_silence() -> None:
    active = AccountState("a", as_of=1 * DAY, last_activity_at=1 * DAY)
    idle = AccountState("a", as_of=16 * DAY, last_activity_at=1 * DAY)
    gone = AccountState("a", as_of=40 * DAY, last_activity_at=1 * DAY)
    assert usage_score(active) == 100
    assert 0 < (usage_score(idle) or 0) < 100
    assert usage_score(gone) == 0


def test_overall_is_the_sum_of_contributions() -> None:
    state = AccountState(
        "a", as_of=DAY, last_activity_at=DAY, tickets_seen=True, open_tickets={"t": "urgent"}
    )
    parts = components(state)
    assert overall(parts) == pytest.approx(sum(p.contribution for p in parts))


@pytest.mark.parametrize(
    ("score", "previous", "expected"),
    [
        (80, "unknown", "green"),
        (69, "green", "green"),  # within hysteresis: stays
        (66, "green", "yellow"),  # past the edge by more than hysteresis
        (71, "yellow", "yellow"),  # must reach 73 to go back to green
        (73, "yellow", "green"),
        (38, "yellow", "yellow"),
        (36, "yellow", "red"),
        (72, "red", "yellow"),  # a big recovery still moves at least one band
        (90, "red", "green"),
        (10, "green", "red"),
        (None, "green", "unknown"),
    ],
)
def test_bands_have_hysteresis(score: float | None, previous: str, expected: str) -> None:
    assert band_for(score, previous) == expected
