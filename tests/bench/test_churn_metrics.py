"""The AUC, lead-time and change-kind computations on small hand-made cases."""

from __future__ import annotations

import itertools
import random

import pytest
from churn_metrics import account_day_auc, auc, held_days, lead_days, precision
from churn_plan import Account
from churn_replay import Change, Trace, change_kinds


def brute_force(positives: list[float], negatives: list[float]) -> float:
    pairs = list(itertools.product(positives, negatives))
    return sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)


def test_auc_on_known_cases() -> None:
    assert auc([3, 4], [1, 2]) == 1.0
    assert auc([1, 2], [3, 4]) == 0.0
    assert auc([5, 5], [5, 5, 5]) == 0.5
    assert auc([0.8, 0.4], [0.5, 0.2, 0.4]) == pytest.approx(4.5 / 6)
    assert auc([], [1.0]) is None and auc([1.0], []) is None


def test_auc_agrees_with_counting_pairs() -> None:
    rng = random.Random(7)
    for _ in range(50):
        positives = [float(rng.randint(0, 9)) for _ in range(rng.randint(1, 12))]
        negatives = [float(rng.randint(0, 9)) for _ in range(rng.randint(1, 12))]
        assert auc(positives, negatives) == pytest.approx(brute_force(positives, negatives))


def churner(bands: str, churn_day: float) -> Trace:
    names = {"g": "green", "y": "yellow", "r": "red", "u": "unknown"}
    account = Account("a", "self_serve", 5, 100.0, "silent", churn_day, 0.0)
    return Trace(account, [None] * len(bands), [names[b] for b in bands])


def test_lead_time_from_the_first_flag_and_from_an_unbroken_flag() -> None:
    trace = churner("ggyyggyyr" + "g", 8.5)
    assert lead_days(trace) == pytest.approx(6.5)
    assert held_days(trace) == pytest.approx(2.5)
    assert lead_days(trace, ("red",)) == pytest.approx(0.5)
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
    churned = churner("g" * 70 + "r" * 30, 80.0)
    churned.risk = [*[10.0] * 70, *[90.0] * 30]
    churned.changes = [Change(62.0, frozenset({"into_red"})), Change(85.0, frozenset({"drop"}))]
    kept = Trace(Account("b", "self_serve", 5, 100.0), [20.0] * days, ["green"] * days)
    kept.changes = [Change(65.0, frozenset({"drop"}))]
    # positives: days 66-79 (churn within 14 days): 66-69 at 10, 70-79 at 90; negatives at 10 or 20
    assert account_day_auc([churned, kept], 14, days) == pytest.approx(
        brute_force([10.0] * 4 + [90.0] * 10, [10.0] * 6 + [20.0] * 27)
    )
    figures = precision([churned, kept], days)
    assert figures["into_red"] == {"changes": 1, "precision_30d": 1.0}
    assert figures["drop"] == {"changes": 1, "precision_30d": 0.0}
