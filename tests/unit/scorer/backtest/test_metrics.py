"""The AUC, ROC, lead-time, precision and change-kind computations on small hand-made cases."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

import pytest

from services.scorer.backtest.metrics import (
    account_auc,
    account_day_auc,
    auc,
    drawn_day,
    figures,
    held_days,
    lead_days,
    precision,
    roc_points,
)
from services.scorer.backtest.replay import Span
from services.scorer.backtest.traces import Account, Change, Trace, change_kinds


def brute_force(positives: list[float], negatives: list[float]) -> float:
    pairs = list(itertools.product(positives, negatives))
    return sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)


def trace(account: Account, risks: list[float | None], bands: str) -> Trace:
    names = {"g": "green", "y": "yellow", "r": "red", "u": "unknown"}
    out = Trace(account)
    for risk, band in zip(risks, bands, strict=True):
        out.add(risk, names[band])
    return out


def churner(bands: str, churn_day: float) -> Trace:
    return trace(Account("a", "self_serve", churn_day), [None] * len(bands), bands)


def test_auc_on_known_cases() -> None:
    assert auc([3, 4], [1, 2]) == 1.0
    assert auc([1, 2], [3, 4]) == 0.0
    assert auc([5, 5], [5, 5, 5]) == 0.5
    # pairs: 0.8 beats all three; 0.4 beats 0.2, ties 0.4 (a half), loses to 0.5: 4.5 of 6
    assert auc([0.8, 0.4], [0.5, 0.2, 0.4]) == pytest.approx(4.5 / 6)
    assert auc([], [1.0]) is None and auc([1.0], []) is None


def test_auc_agrees_with_counting_pairs() -> None:
    rng = random.Random(7)
    for _ in range(50):
        positives = [float(rng.randint(0, 9)) for _ in range(rng.randint(1, 12))]
        negatives = [float(rng.randint(0, 9)) for _ in range(rng.randint(1, 12))]
        assert auc(positives, negatives) == pytest.approx(brute_force(positives, negatives))


def test_roc_runs_from_nothing_flagged_to_everything_flagged() -> None:
    assert roc_points([0.8, 0.4], [0.5, 0.2, 0.4]) == [
        (0.0, 0.0), (0.0, 0.5), (1 / 3, 0.5), (2 / 3, 1.0), (1.0, 1.0),
    ]  # fmt: skip
    assert roc_points([], [1.0]) == []


def test_lead_time_from_the_first_flag_and_from_an_unbroken_flag() -> None:
    flagged = churner("ggyyggyyr" + "g", 8.5)
    assert lead_days(flagged) == pytest.approx(6.5)  # first flag at day 2
    assert held_days(flagged) == pytest.approx(2.5)  # unbroken from day 6
    assert lead_days(flagged, ("red",)) == pytest.approx(0.5)
    assert lead_days(churner("gggg", 3.2)) == 0.0 and held_days(churner("gggg", 3.2)) == 0.0


def test_change_kinds() -> None:
    assert change_kinds("green", "yellow") == {"into_yellow"}
    assert change_kinds("yellow", "red", "billing.payment_failed") == {"into_red", "critical"}
    assert change_kinds("green", "red") == {"into_red"}
    assert change_kinds("red", "yellow") == {"recovery"}
    assert change_kinds("green", "green") == {"drop"}
    assert change_kinds("green", "green", "support.urgent_ticket") == {"critical"}
    assert change_kinds("unknown", "green") == {"initial"}


def test_account_day_auc_and_precision_leave_out_days_after_churn() -> None:
    days = 100
    churned = trace(Account("a", "x", 80.0), [*[10.0] * 70, *[90.0] * 30], "g" * 70 + "r" * 30)
    churned.changes = [Change(62.0, frozenset({"into_red"})), Change(85.0, frozenset({"drop"}))]
    kept = trace(Account("b", "x"), [20.0] * days, "g" * days)
    kept.changes = [Change(65.0, frozenset({"drop"}))]
    # positives: days 66-79 (churn within 14 days): 66-69 at 10, 70-79 at 90; negatives: the
    # churner's days 60-65 at 10 and the retained account's days 60-86 at 20
    assert account_day_auc([churned, kept], 14, days) == pytest.approx(
        brute_force([10.0] * 4 + [90.0] * 10, [10.0] * 6 + [20.0] * 27)
    )
    by_kind = precision([churned, kept], days)
    assert by_kind["into_red"] == {"changes": 1, "precision_30d": 1.0}
    assert by_kind["drop"] == {"changes": 1, "precision_30d": 0.0}  # the churner's is after churn
    assert by_kind["any"] == {"changes": 2, "precision_30d": 0.5}


def test_per_account_auc_takes_each_churner_30_days_before_and_a_drawn_day_of_the_rest() -> None:
    days = 120
    churned = trace(Account("a", "x", 100.5), [float(d) for d in range(days)], "g" * days)
    kept = trace(Account("b", "x"), [50.0] * days, "g" * days)
    assert 60 <= drawn_day(kept, 1, days) < 91
    # the churner's risk on day 70 (= 70) against the retained account's 50
    assert account_auc([churned, kept], 1, days) == 1.0


def test_figures_count_flags_changes_and_shares() -> None:
    days = 120
    span = Span(datetime(2025, 1, 1, tzinfo=UTC), days)
    churned = trace(Account("a", "x", 110.0), [50.0] * days, "g" * 80 + "y" * 40)
    calm = trace(Account("b", "x"), [10.0] * days, "g" * days)
    flappy = trace(Account("c", "x"), [30.0] * days, "g" * 70 + "y" + "g" * 49)
    flappy.changes = [
        Change(70.0, frozenset({"into_yellow"})),
        Change(71.0, frozenset({"recovery"})),
    ]
    result = figures([churned, calm, flappy], span, seed=1)
    assert result["accounts"] == 3 and result["churners"] == 1
    assert result["churners_flagged_14d_share"] == 1.0  # flagged 30 days before
    assert result["healthy_flagged_share"] == 0.5
    # two changes on two retained accounts over (120 - 60) days
    assert result["changes_per_healthy_account_month"] == pytest.approx(2 / 2 / (60 / 30.4375))
