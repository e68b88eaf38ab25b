"""Fitting weights and edges: learned from rows, written as a valid model file."""

from __future__ import annotations

import io
import math
import random
import sys
from pathlib import Path

import pytest
import tomli_w
from rich.console import Console

from services.scorer.backtest.fit import (
    HORIZON,
    FitError,
    account_edge,
    bump_version,
    held_out,
    learn_weights,
    needs_sklearn,
    precision_edge,
    rows,
    with_bands,
    with_weights,
)
from services.scorer.backtest.fit_run import fit_model, model_document, print_weights
from services.scorer.backtest.metrics import EVAL_FROM, auc
from services.scorer.backtest.replay import FEATURES, AccountRun
from services.scorer.backtest.traces import Account
from services.scorer.model import default_model
from services.scorer.model.config import COMPONENTS, parse_model


def population(n: int, seed: int) -> tuple[list[list[float]], list[int]]:
    """Account-days whose churn is driven by support and billing, hardly by usage (unlike the
    default weights, which put usage first)."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(n):
        risks = [rng.random() for _ in COMPONENTS]
        usage, support, billing, sentiment = risks
        drive = 0.1 * usage + 0.5 * support + 0.4 * billing + 0.0 * sentiment
        labels.append(int(rng.random() < drive**3))
        rows.append(risks)
    return rows, labels


def weighted_auc(rows: list[list[float]], labels: list[int], weights: dict[str, float]) -> float:
    risks = [sum(weights[c] * r for c, r in zip(COMPONENTS, row, strict=True)) for row in rows]
    found = auc(
        [r for r, y in zip(risks, labels, strict=True) if y],
        [r for r, y in zip(risks, labels, strict=True) if not y],
    )
    assert found is not None
    return found


def test_fitted_weights_beat_the_defaults_on_held_out_rows_of_a_different_population() -> None:
    train, train_labels = population(4000, 1)
    test, test_labels = population(4000, 2)
    fitted = learn_weights(train, train_labels, COMPONENTS, seed=1)
    assert fitted is not None
    assert sum(fitted.values()) == pytest.approx(1, abs=0.01)
    assert all(w >= 0 for w in fitted.values())
    assert fitted["support"] > fitted["usage"] and fitted["billing"] > fitted["usage"]
    defaults = dict(default_model().base.weights)
    assert (
        weighted_auc(test, test_labels, fitted) > weighted_auc(test, test_labels, defaults) + 0.02
    )


def test_nothing_is_learned_from_one_class() -> None:
    assert learn_weights([[0.1] * 4, [0.2] * 4], [0, 0], COMPONENTS, seed=1) is None


def test_the_fitted_file_is_a_valid_model_of_the_same_kind_with_a_bumped_version() -> None:
    current = default_model()
    weights = {"usage": 0.2, "support": 0.5, "billing": 0.3, "sentiment": 0.0}
    signals = {"activity": 0.5, "seats": 0.1, "recency": 0.4, "breadth": 0.0}
    document = with_weights(model_document(current), weights, signals, {"enterprise": weights})
    document = with_bands(document, 72.5, 45.0)
    document["version"] = bump_version(current.version)
    fitted = parse_model(tomli_w.dumps(document))
    assert fitted.base.weights == weights
    assert fitted.base.usage.signal_weights == signals
    assert (fitted.base.bands.green, fitted.base.bands.yellow) == (72.5, 45.0)
    assert fitted.spec_for("enterprise", None).weights == weights
    assert fitted.spec_for("self_serve", None).weights == weights  # no fit of its own
    # everything else is as it was: the same kind of model
    assert fitted.base.support == current.base.support and fitted.base.time == current.base.time
    assert [p.name for p in fitted.profiles] == [p.name for p in current.profiles]
    assert fitted.spec_for(None, "onboarding").usage.mode == "onboarding"


def test_band_edges_stay_ordered() -> None:
    document = with_bands(model_document(default_model()), 50.0, 60.0)
    assert document["base"]["bands"]["yellow"] < document["base"]["bands"]["green"]


def test_versions_are_bumped() -> None:
    assert bump_version("default-3") == "default-4"
    assert bump_version("acme-v9") == "acme-v10"
    assert bump_version("tuned") == "tuned-2"


def test_held_out_accounts_are_stable_for_a_seed() -> None:
    ids = [f"acct-{i}" for i in range(1000)]
    chosen = {a for a in ids if held_out(a, 7, 0.3)}
    assert chosen == {a for a in ids if held_out(a, 7, 0.3)}
    assert 250 < len(chosen) < 350
    assert chosen != {a for a in ids if held_out(a, 8, 0.3)}


def test_without_scikit_learn_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.linear_model", None)
    with pytest.raises(FitError, match=r"pip install 'healthmon\[fit\]'"):
        needs_sklearn()


CHURN_DAYS = [10.0, 20.0, 30.0]
"""Scores of account-days followed by churn within 30 days (against STAY_DAYS, the others)."""
STAY_DAYS = [25.0, 50.0, 80.0]


@pytest.mark.parametrize(
    ("target", "edge"),
    [
        (1.0, 25.0),  # below 25: 10 and 20, both churn; from 25.1 the stay at 25 is flagged too
        (0.75, 50.0),  # below 50: 3 churns of 4 days; from 50.1: 3 of 5
        (0.6, 80.0),  # below 80: 3 of 5
        (0.5, 100.0),  # every day: 3 of 6
    ],
)
def test_a_precision_edge_is_the_highest_that_flags_days_at_that_precision(
    target: float, edge: float
) -> None:
    assert precision_edge(CHURN_DAYS, STAY_DAYS, target) == edge


def test_no_precision_edge_when_the_target_cannot_be_reached() -> None:
    assert precision_edge([60.0], [10.0], 0.9) is None  # at best 1 churn of 2 flagged days
    assert precision_edge([], STAY_DAYS, 0.1) is None


def test_the_side_by_side_shows_both_models_weights_for_each_profile() -> None:
    current = default_model()
    weights = {"usage": 0.2, "support": 0.5, "billing": 0.3, "sentiment": 0.0}
    document = with_weights(model_document(current), weights, None, {})
    document["version"] = bump_version(current.version)
    fitted = parse_model(tomli_w.dumps(document))
    buffer = io.StringIO()
    print_weights(Console(file=buffer, width=200), current, fitted)
    printed = buffer.getvalue().splitlines()
    for profile in current.profiles:
        if "weights" in profile.overrides:
            mine = " ".join(f"{k}={v:g}" for k, v in profile.overrides["weights"].items())
            [row] = [line for line in printed if f"profile {profile.name} " in line]
            assert row.index(mine) < row.index("usage=0.2 support=0.5 billing=0.3 sentiment=0")


@pytest.mark.parametrize(
    ("rates", "options"),
    [
        ({"flag_rate": 0.1, "yellow_precision": 0.5}, "--flag-rate or --yellow-precision"),
        ({"red_rate": 0.02, "red_precision": 0.5}, "--red-rate or --red-precision"),
    ],
)
def test_an_edge_takes_a_rate_or_a_precision_not_both(
    tmp_path: Path, rates: dict[str, float], options: str
) -> None:
    settings = {"flag_rate": None, "red_rate": None, **rates}
    with pytest.raises(FitError, match=f"give {options}, not both"):
        fit_model(
            tmp_path / "history.ndjson", None, None, tmp_path / "fitted.toml", 0.3, 1,
            version=None, console=Console(file=io.StringIO()), **settings,
        )  # fmt: skip


def run_of(day: dict[str, float], days: int) -> AccountRun:
    """A retained account whose every midnight has the features `day` (NaN where absent)."""
    run = AccountRun(Account("acct-1"), states={})
    for _ in range(days):
        run.features.extend(day.get(name, math.nan) for name in FEATURES)
    return run


def test_a_missing_component_is_taken_at_the_weighted_mean_of_the_present_ones() -> None:
    # no support data; the day's score is capped at 30 though the components read 80 and 40
    day = {"usage": 80.0, "billing": 40.0, "sentiment": 100.0, "score": 30.0}
    weights = {"usage": 0.5, "support": 0.2, "billing": 0.25, "sentiment": 0.05}
    days = EVAL_FROM + HORIZON + 1
    found = rows([run_of(day, days)], days, weights=weights)
    assert found.labels == [0, 0]
    mean = (0.5 * 80 + 0.25 * 40 + 0.05 * 100) / 0.8  # 68.75, not the capped score
    for risks in found.components:
        assert risks == pytest.approx([0.2, (100 - mean) / 100, 0.6, 0.0])


def test_a_day_without_any_weighted_component_takes_the_days_score() -> None:
    day = {"sentiment": 100.0, "score": 70.0}
    weights = {"usage": 0.5, "support": 0.3, "billing": 0.2, "sentiment": 0.0}
    days = EVAL_FROM + HORIZON
    [risks] = rows([run_of(day, days)], days, weights=weights).components
    assert risks == pytest.approx([0.3, 0.3, 0.3, 0.0])


LOWS = [50.0, 60.0, 70.0, 80.0]
"""Four retained accounts' lowest scores at a judged midnight."""


@pytest.mark.parametrize(
    ("rate", "edge"),
    [
        (0.5, 73.0),  # entered 3 points below 73: the accounts at 50 and 60, two of four
        (0.25, 63.0),  # the account at 50 only
        (0.0, 53.0),  # none: no account scores below 50
    ],
)
def test_an_edge_for_a_flag_rate_catches_that_share_of_accounts_past_the_hysteresis(
    rate: float, edge: float
) -> None:
    found = account_edge(LOWS, rate, hysteresis=3.0)
    assert found == edge
    assert sum(low < found - 3.0 for low in LOWS) == rate * len(LOWS)


def test_accounts_held_in_a_band_count_towards_its_rate_whatever_the_edge() -> None:
    # two more accounts held at yellow: half of six is three, one of them caught by its score
    assert account_edge(LOWS, 0.5, hysteresis=3.0, held=2) == 63.0
    # held accounts already make more than the rate: no account is caught by its score
    assert account_edge(LOWS, 0.2, hysteresis=3.0, held=2) == 53.0
