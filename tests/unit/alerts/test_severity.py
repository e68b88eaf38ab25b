"""Which changes raise alerts."""

from __future__ import annotations

from typing import Any

import pytest

from schemas import RiskChange
from services.alerts.store import severity_of
from tests.support.events import T0


def change(previous: str, current: str, reason: str = "usage.down") -> RiskChange:
    score: dict[str, Any] = {"green": 80.0, "yellow": 55.0, "red": 20.0, "unknown": None}
    return RiskChange(
        change_id="a:1", account_id="a", seq=1, occurred_at=T0, emitted_at=T0, model_version="m",
        previous={"score": score[previous], "band": previous},
        current={"score": score[current], "band": current},
        delta=None, trend_7d=None, components=[],
        reasons=[{"code": reason, "message": "m"}], trigger_event_ids=["e"],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("previous", "current", "reason", "expected"),
    [
        ("green", "yellow", "usage.down", "warning"),
        ("yellow", "red", "usage.down", "critical"),
        ("unknown", "red", "usage.down", "critical"),
        ("green", "green", "billing.payment_failed", "warning"),
        ("yellow", "yellow", "billing.dispute_opened", "critical"),
        ("unknown", "green", "band.green", None),
        ("red", "yellow", "usage.up", None),
        ("green", "green", "usage.down", None),
    ],
)
def test_alerts_for_worse_bands_and_critical_signals(
    previous: str, current: str, reason: str, expected: str | None
) -> None:
    assert severity_of(change(previous, current, reason)) == expected
