"""Which changes raise alerts."""

from __future__ import annotations

import pytest

from services.alerts.lifecycle import severity_of
from tests.support.changes import risk_change


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
    assert severity_of(risk_change(previous, current, reason)) == expected
