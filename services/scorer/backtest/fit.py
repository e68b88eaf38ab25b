"""Fitting a model file's weights and band edges to a history's churn labels.

The fitted model is the same kind of model: only component weights, usage signal weights and
band edges change, so every change it publishes keeps its reasons and contributions. Component
weights come from a logistic regression of churn within the horizon on each component's risk
(100 - its score) over the training accounts' judged days, with coefficients held non-negative
and scaled to sum to 1: a weighted mean of risks ranks days as the regression does. Usage signal
weights come the same way from the usage signals. Band edges are set so that retained accounts'
days are flagged (and red) as often as under the current model, at a given rate, or at the
highest edge whose flagged days reach a given precision.
"""

from __future__ import annotations

import bisect
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.scorer.backtest.metrics import EVAL_FROM
from services.scorer.backtest.replay import FEATURES, AccountRun
from services.scorer.model.config import COMPONENTS

SIGNALS = ("activity", "seats", "recency", "breadth")
HORIZON = 30
MIN_CHURNERS = 5
"""A segment's profile gets weights of its own only with this many churners to learn from."""
WEIGHT_DIGITS = 3


class FitError(ValueError):
    """The history cannot support a fit (e.g. no churner to learn from); the message says why."""


def needs_sklearn() -> Any:
    """scikit-learn's LogisticRegression, or a FitError naming the extra to install."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:
        raise FitError(
            "healthmon model fit needs scikit-learn: pip install 'healthmon[fit]'"
        ) from exc
    return LogisticRegression


def held_out(account_id: str, seed: int, share: float) -> bool:
    """Whether an account is held out of the fit (seeded, stable for an account)."""
    return random.Random(f"{seed}:{account_id}:holdout").random() < share


@dataclass
class Rows:
    """Training rows: component risks, usage signal risks, and whether churn follows."""

    components: list[list[float]]
    signals: list[list[float]]
    labels: list[int]
    signal_labels: list[int]


def rows(
    runs: Sequence[AccountRun],
    days: int,
    horizon: int = HORIZON,
    weights: dict[str, float] | None = None,
) -> Rows:
    """Every judged account-day with a score: its features as risks (0-1) and its label.

    A component without data is taken at the weighted mean of the components that have data
    (under `weights`, the current model's): the model shares a missing component's weight among
    the others, which is the same. Not at the day's score, which a cap can hold far below that
    mean and so teach the regression that the missing component is a risk. Without `weights`
    the present components count alike. A missing usage signal is taken at the usage score."""
    out = Rows([], [], [], [])
    width = len(FEATURES)
    index = {name: i for i, name in enumerate(FEATURES)}
    share = weights or dict.fromkeys(COMPONENTS, 1.0)
    for run in runs:
        churn = run.account.churn_day
        values = run.features
        for day in range(EVAL_FROM, min(days - horizon + 1, len(values) // width)):
            if churn is not None and day >= churn:
                continue
            row = values[day * width : (day + 1) * width]
            score = row[index["score"]]
            if math.isnan(score):
                continue
            label = int(churn is not None and churn <= day + horizon)
            parts = {c: row[index[c]] for c in COMPONENTS}
            out.components.append([(100 - p) / 100 for p in _imputed(parts, share, score)])
            out.labels.append(label)
            usage = row[index["usage"]]
            if not math.isnan(usage):
                signals = [row[index[f"usage.{s}"]] for s in SIGNALS]
                out.signals.append([(100 - (usage if math.isnan(s) else s)) / 100 for s in signals])
                out.signal_labels.append(label)
    return out


def _imputed(parts: dict[str, float], weights: dict[str, float], score: float) -> list[float]:
    """Component scores in COMPONENTS order, a missing one (NaN) at the weighted mean of the
    present ones; the day's score when no weighted component is present."""
    present = {c: v for c, v in parts.items() if not math.isnan(v) and weights.get(c, 0) > 0}
    total = sum(weights[c] for c in present)
    mean = sum(weights[c] * v for c, v in present.items()) / total if total > 0 else score
    return [mean if math.isnan(parts[c]) else parts[c] for c in COMPONENTS]


def learn_weights(
    x: list[list[float]], y: list[int], names: Sequence[str], seed: int
) -> dict[str, float] | None:
    """Non-negative weights summing to 1 from a logistic regression; None when the rows cannot
    say (one class only, or no positive coefficient)."""
    if len(set(y)) < 2:
        return None
    regression = needs_sklearn()(class_weight="balanced", max_iter=1000, random_state=seed)
    regression.fit(x, y)
    coefficients = [max(0.0, float(c)) for c in regression.coef_[0]]
    total = sum(coefficients)
    if total <= 0:
        return None
    weights = {
        name: round(c / total, WEIGHT_DIGITS) for name, c in zip(names, coefficients, strict=True)
    }
    return weights


def bump_version(version: str) -> str:
    """`default-3` -> `default-4`; a version without a trailing number gets `-2`."""
    found = re.search(r"(\d+)$", version)
    if found is None:
        return f"{version}-2"
    return version[: found.start()] + str(int(found.group(1)) + 1)


def with_weights(
    document: dict[str, Any],
    base: dict[str, float],
    signals: dict[str, float] | None,
    by_segment: dict[str, dict[str, float]],
) -> dict[str, Any]:
    """The model file's data with fitted component weights (base, and each segment profile that
    sets weights of its own) and usage signal weights."""
    out = {**document, "base": {**document["base"], "weights": base}}
    if signals is not None:
        out["base"]["usage"] = {**out["base"]["usage"], "signal_weights": signals}
    profiles = []
    for profile in document.get("profiles", []):
        overrides = dict(profile.get("overrides", {}))
        if "weights" in overrides:
            segment = profile.get("match", {}).get("segment")
            overrides["weights"] = by_segment.get(segment, base)
        usage = overrides.get("usage")
        if signals is not None and isinstance(usage, dict) and "signal_weights" in usage:
            overrides["usage"] = {**usage, "signal_weights": signals}
        profiles.append({**profile, "overrides": overrides})
    out["profiles"] = profiles
    return out


EDGE_STEP = 0.1
"""Band edges are searched in steps of this many points."""


def precision_edge(
    positives: Sequence[float], negatives: Sequence[float], target: float
) -> float | None:
    """The highest score edge (in steps of 0.1) whose flagged days, those scoring below it, are
    followed by churn within the horizon at least a share `target` of the time: the edge that
    flags the most days at that precision. `positives` are the scores of days followed by churn,
    `negatives` the others. None when no edge reaches the target."""
    churns, stays = sorted(positives), sorted(negatives)
    for step in range(round(100 / EDGE_STEP), 0, -1):
        edge = round(step * EDGE_STEP, 1)
        flagged_churns = bisect.bisect_left(churns, edge)
        flagged = flagged_churns + bisect.bisect_left(stays, edge)
        if flagged_churns and flagged_churns >= target * flagged:
            return edge
    return None


def account_edge(lows: Sequence[float], rate: float, hysteresis: float, held: int = 0) -> float:
    """The band edge that a share `rate` of accounts reach, from each account's lowest score
    (`lows`, sorted) and the number of accounts `held` in the band whatever their score (by a
    hold or a critical signal). An account enters a worse band only `hysteresis` points below an
    edge, so the edge sits that far above the lowest score it is to catch."""
    wanted = round(rate * (len(lows) + held)) - held
    k = min(len(lows) - 1, max(0, wanted))
    return round(lows[k] + hysteresis, 1)


def with_bands(document: dict[str, Any], green: float, yellow: float) -> dict[str, Any]:
    """The model file's data with new base band edges (yellow kept below green)."""
    green = min(max(green, 1.0), 100.0)
    yellow = min(max(yellow, 0.0), green - 1.0)
    bands = {**document["base"]["bands"], "green": green, "yellow": yellow}
    return {**document, "base": {**document["base"], "bands": bands}}
