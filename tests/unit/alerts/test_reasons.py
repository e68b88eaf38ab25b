"""The current reasons a CSM reads of an account, in the API and the workspace alike."""

from __future__ import annotations

from services.alerts.reasons import current_reasons


def _component(name: str, score: float | None, stale: bool = False) -> dict[str, object]:
    return {"name": name, "score": score, "weight": 0.25, "contribution": 0, "stale": stale}


def test_current_reasons_leave_out_what_only_improved_while_at_risk() -> None:
    snapshot = {"band": "red", "score": 30, "components": [_component("billing", 10)]}
    change = {"reasons": [
        {"code": "billing.payment_failed", "message": "A payment failed."},
        {"code": "usage.improved", "message": "Usage improved from 40 to 60."},
    ]}  # fmt: skip
    assert current_reasons(snapshot, change) == ["A payment failed."]


def test_weak_and_quiet_parts_are_named_when_the_change_does_not() -> None:
    snapshot = {
        "band": "yellow", "score": 50, "stale": ["support"],
        "components": [_component("usage", 35), _component("support", None, stale=True),
                       _component("sentiment", 90)],
    }  # fmt: skip
    reasons = current_reasons(snapshot, {"reasons": [{"code": "recovery", "message": "Up."}]})
    assert reasons == [
        "Product usage is weak: 35 of 100.",
        "No support data is arriving from its source; it is left out.",
    ]


def test_a_healthy_account_says_so() -> None:
    snapshot = {"band": "green", "score": 90, "components": [_component("usage", 90)]}
    assert current_reasons(snapshot, None) == ["Every part of the score is in good shape."]
    recovered = {"reasons": [{"code": "recovery", "message": "Health recovered to green."}]}
    assert current_reasons(snapshot, recovered) == ["Health recovered to green."]


def test_a_green_account_is_not_told_of_a_weakness_it_has_outgrown() -> None:
    snapshot = {"band": "green", "score": 95,
                "components": [_component("usage", 100), _component("billing", 100)]}  # fmt: skip
    first_day = {"reasons": [{"code": "usage.seats", "message": "1 of 35 seats were active."}]}
    assert current_reasons(snapshot, first_day) == ["Every part of the score is in good shape."]
    still = dict(snapshot, components=[_component("usage", 45), _component("billing", 100)])
    assert current_reasons(still, first_day) == ["1 of 35 seats were active."]


def test_a_yellow_account_is_told_its_present_weakness_not_one_it_has_outgrown() -> None:
    snapshot = {"band": "yellow", "score": 55,
                "components": [_component("usage", 100), _component("billing", 20)]}  # fmt: skip
    change = {"reasons": [{"code": "usage.seats", "message": "1 of 17 seats were active."}]}
    reasons = current_reasons(snapshot, change)
    assert "1 of 17 seats were active." not in reasons
    assert any("billing" in reason.lower() for reason in reasons), reasons


def test_a_hold_is_told_while_it_lasts_however_its_component_scores() -> None:
    snapshot = {"band": "yellow", "score": 66,
                "components": [_component("usage", 70), _component("billing", 100)]}  # fmt: skip
    held = "Usage fell. Health is held at yellow while this lasts."
    change = {"reasons": [{"code": "usage.declined", "message": held}]}
    assert current_reasons(snapshot, change)[0] == held
