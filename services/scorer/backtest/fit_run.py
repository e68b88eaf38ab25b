"""`healthmon model fit`: replay the history, fit on most accounts, judge on the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from services.scorer.backtest.command import BacktestError, replay_with_progress
from services.scorer.backtest.fit import (
    HORIZON,
    MIN_CHURNERS,
    SIGNALS,
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
from services.scorer.backtest.metrics import EVAL_FROM, FLAGGED, account_day_risks, ever_flagged
from services.scorer.backtest.replay import Replayed
from services.scorer.backtest.report import figures_table
from services.scorer.backtest.run import MODEL, OTHER, backtest_result
from services.scorer.backtest.traces import BAND_CODE, Trace
from services.scorer.model import HealthModel, ModelFileError, load_model
from services.scorer.model.config import COMPONENTS, ModelFile, parse_model


def _dumps(document: dict[str, Any]) -> str:
    try:
        import tomli_w
    except ImportError as exc:
        raise FitError("healthmon model fit needs tomli-w: pip install 'healthmon[fit]'") from exc
    return tomli_w.dumps(document)


def model_document(model: HealthModel) -> dict[str, Any]:
    """A loaded model as the data of its file."""
    return ModelFile(version=model.version, base=model.base, profiles=model.profiles).model_dump(
        exclude_none=True
    )


def _retained(replayed: Replayed, accounts: set[str]) -> list[Trace]:
    """The model's traces of the retained `accounts`."""
    return [
        t
        for t in replayed.traces[MODEL]
        if not t.account.churned and t.account.account_id in accounts
    ]


def _lowest_scores(
    traces: list[Trace], bands: tuple[str, ...], edge: float, hysteresis: float
) -> tuple[list[float], int]:
    """Each account's lowest score at a judged midnight, sorted, and how many accounts were in
    `bands` at a midnight when their score was clear of `edge` and its hysteresis: held there
    (by a hold or a critical signal) whatever the edge. Accounts without a score are left out."""
    lows, held = [], 0
    codes = {BAND_CODE[b] for b in bands}
    for trace in traces:
        days = range(EVAL_FROM, len(trace.bands))
        scored = [(100 - r, trace.bands[d]) for d in days if (r := trace.risk(d)) is not None]
        if any(code in codes and score >= edge + hysteresis for score, code in scored):
            held += 1
        elif scored:
            lows.append(min(score for score, _ in scored))
    return sorted(lows), held


def fit_model(
    events: Path,
    model_file: Path | None,
    labels: Path | None,
    out: Path,
    holdout: float,
    seed: int,
    flag_rate: float | None,
    red_rate: float | None,
    version: str | None,
    console: Console,
    yellow_precision: float | None = None,
    red_precision: float | None = None,
) -> dict[str, Any]:
    """The whole command: fit, write `out`, print both models' backtest on held-out accounts;
    returns that backtest. Each band edge comes from a flag rate or a precision (at most one of
    the two), else from the current model's flag rate on the training accounts."""
    for rate, target, options in (
        (flag_rate, yellow_precision, "--flag-rate or --yellow-precision"),
        (red_rate, red_precision, "--red-rate or --red-precision"),
    ):
        if rate is not None and target is not None:
            raise FitError(f"give {options}, not both")
    needs_sklearn()
    try:
        current = load_model(model_file)
    except ModelFileError as exc:
        raise BacktestError(str(exc)) from exc
    first = replay_with_progress(events, {MODEL: current}, labels, console, collect=True)
    days = first.span.days
    test = {a for a in first.runs if held_out(a, seed, holdout)}
    train = set(first.runs) - test
    train_runs = [first.runs[a] for a in sorted(train)]
    if not any(r.account.churned for r in train_runs):
        raise FitError("no churned account among the training accounts: nothing to learn from")
    data = rows(train_runs, days, weights=dict(current.base.weights))
    base = learn_weights(data.components, data.labels, COMPONENTS, seed)
    if base is None:
        raise FitError("the components do not separate churn from retention on this history")
    signals = learn_weights(data.signals, data.signal_labels, SIGNALS, seed)
    by_segment = {}
    for profile in current.profiles:
        segment = profile.match.segment
        if segment is None or "weights" not in profile.overrides:
            continue
        mine = [r for r in train_runs if r.account.segment == segment]
        if sum(r.account.churned for r in mine) >= MIN_CHURNERS:
            part = rows(mine, days, weights=dict(profile.overrides["weights"]))
            fitted = learn_weights(part.components, part.labels, COMPONENTS, seed)
            if fitted is not None:
                by_segment[segment] = fitted
    document = with_weights(model_document(current), base, signals, by_segment)
    weighted = parse_model(_dumps(document), "fitted model")

    before = _retained(first, train)
    second = replay_with_progress(events, {MODEL: weighted}, labels, console, accounts=train)
    retained = _retained(second, train)
    edges = weighted.base.bands
    green_lows = _lowest_scores(retained, FLAGGED, edges.green, edges.hysteresis)
    if green_lows == ([], 0):
        raise FitError("no retained training account has a score on a judged day")
    yellow_lows = _lowest_scores(retained, ("red",), edges.yellow, edges.hysteresis)
    churns, stays = account_day_risks(second.traces[MODEL], HORIZON, second.span.days)
    day_scores = ([100 - r for r in churns], [100 - r for r in stays])
    green = _fitted_edge(
        green_lows, edges.hysteresis, day_scores, flag_rate, yellow_precision, before, FLAGGED
    )
    yellow = _fitted_edge(
        yellow_lows, edges.hysteresis, day_scores, red_rate, red_precision, before, ("red",)
    )
    document = with_bands(document, green, yellow)
    document["version"] = version or bump_version(current.version)
    text = _dumps(document)
    fitted_model = parse_model(text, "fitted model")  # valid under the model file schema
    out.write_text(
        f"# Fitted by `healthmon model fit` from {current.version} on {events.name}: "
        f"{len(train)} training accounts, {len(test)} held out (seed {seed}).\n" + text
    )
    console.print(f"fitted model {fitted_model.version} written to {out}")
    print_weights(console, current, fitted_model)
    models = {MODEL: current, OTHER: fitted_model}
    third = replay_with_progress(events, models, labels, console, accounts=test)
    result = backtest_result(third, models, seed)
    console.print(figures_table(result, f"held-out accounts ({len(test)}, seed {seed})"))
    return result


def _fitted_edge(
    lows: tuple[list[float], int],
    hysteresis: float,
    day_scores: tuple[list[float], list[float]],
    rate: float | None,
    target: float | None,
    before: list[Trace],
    bands: tuple[str, ...],
) -> float:
    """The edge below which an account is in `bands` (flagged, or red): at a precision `target`
    of the training accounts' judged days, else so that a share `rate` of the retained training
    accounts reach it on some judged midnight (by default the share the current model's bands
    reached), from their lowest scores and the number held in the band (`lows`)."""
    if target is not None:
        edge = precision_edge(*day_scores, target)
        if edge is None:
            band = "yellow" if bands == FLAGGED else "red"
            raise FitError(
                f"no {band} edge reaches a precision of {target:g} at {HORIZON} days "
                "on the training accounts"
            )
        return edge
    if rate is None:
        rate = sum(ever_flagged(t, bands) for t in before) / len(before) if before else 0.0
    scores, held = lows
    if not scores:
        raise FitError("every retained training account is held in its band: no edge to set")
    return account_edge(scores, rate, hysteresis, held)


def print_weights(console: Console, current: HealthModel, fitted: HealthModel) -> None:
    """Weights and edges of both models side by side."""
    table = Table(title="weights and band edges", title_justify="left")
    for column in ("", current.version, fitted.version):
        table.add_column(column, justify="right")
    for name in COMPONENTS:
        table.add_row(name, f"{current.base.weights[name]:g}", f"{fitted.base.weights[name]:g}")
    for name in SIGNALS:
        mine = {str(k): v for k, v in current.base.usage.signal_weights.items()}
        theirs = {str(k): v for k, v in fitted.base.usage.signal_weights.items()}
        table.add_row(f"usage.{name}", f"{mine.get(name, 0):g}", f"{theirs.get(name, 0):g}")
    for edge in ("green", "yellow"):
        table.add_row(
            f"band {edge}",
            f"{getattr(current.base.bands, edge):g}",
            f"{getattr(fitted.base.bands, edge):g}",
        )
    profiles: dict[str, dict[str, float]] = {
        p.name: p.overrides["weights"] for p in current.profiles if "weights" in p.overrides
    }
    for profile in fitted.profiles:
        if "weights" in profile.overrides:
            table.add_row(
                f"profile {profile.name}",
                _weights_text(profiles.get(profile.name, {})),
                _weights_text(profile.overrides["weights"]),
            )
    console.print(table)


def _weights_text(weights: dict[str, float]) -> str:
    return " ".join(f"{k}={v:g}" for k, v in weights.items())
