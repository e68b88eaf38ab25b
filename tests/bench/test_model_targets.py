"""The shipped model held to issue 14's targets on the full churn simulation (600 accounts, 180
days, the fixed seed; about a minute): the targets it meets may not regress, the one it does not
meet yet is expected to fail until it is met."""

from __future__ import annotations

from typing import Any

import pytest
from churn_figures import run
from churn_plan import Config

from services.scorer.model import default_model

pytestmark = pytest.mark.timeout(900)  # the whole simulation replayed: minutes on a busy machine


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    return run(Config(), default_model())


def test_healthy_accounts_are_left_alone(figures: dict[str, Any]) -> None:
    assert figures["healthy_flagged_share"] <= 0.10
    assert figures["changes_per_healthy_account_month"] <= 0.5
    assert figures["holiday_week_changes_ratio"] <= 1.5


def test_churners_are_flagged_weeks_ahead(figures: dict[str, Any]) -> None:
    assert figures["churners_flagged_14d_share"] >= 0.60


def test_warnings_do_not_fall_below_what_the_model_reached(figures: dict[str, Any]) -> None:
    """Ratchets at the figures of models default-5 to default-8, so a change that loses ground
    shows."""
    assert figures["auc_account_30d"] >= 0.73
    assert figures["auc_account_day_14d"] >= 0.86


@pytest.mark.xfail(
    strict=True,
    reason="issue 14 target not met yet: per-account AUC at 30 days 0.74 (bench/README.md says "
    "why it stays there on this simulation)",
)
def test_churners_rank_above_retained_accounts_a_month_ahead(figures: dict[str, Any]) -> None:
    assert figures["auc_account_30d"] >= 0.85
