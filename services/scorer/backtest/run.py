"""`healthmon backtest`: read a history, replay it through the model files, sum up the figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from services.scorer.backtest.compare import comparison
from services.scorer.backtest.history import Skipped, read_history
from services.scorer.backtest.replay import Replay, Replayed
from services.scorer.backtest.scoring import ModelScorer
from services.scorer.backtest.summary import summarize
from services.scorer.model import HealthModel

MODEL, OTHER = "model", "compare"
DEFAULT_SEED = 1
"""Seeds the day drawn for each retained account in the per-account AUC."""


def replay_file(
    path: Path,
    models: dict[str, HealthModel],
    churned_at: dict[str, datetime] | None = None,
    on_bytes: Callable[[int], None] | None = None,
    collect: bool = False,
    accounts: set[str] | None = None,
    skipped: Skipped | None = None,
) -> Replayed:
    """Stream the history at `path` through each model (and the baselines); only the records of
    `accounts` when given."""
    run = Replay({name: ModelScorer(m) for name, m in models.items()}, churned_at, collect=collect)
    run.skipped = skipped = skipped or Skipped()
    for record in read_history(path, skipped, on_bytes):
        if accounts is None or record.item.account_id in accounts:
            run.feed(record)
    return run.finish()


def backtest_result(
    replayed: Replayed, models: dict[str, HealthModel], seed: int = DEFAULT_SEED
) -> dict[str, Any]:
    """The figures of the first model (and of a second one under `compare`) with the baselines,
    the history's extent and what was left out."""
    result = summarize(replayed, seed, MODEL)
    result["model_version"] = models[MODEL].version
    span = replayed.span
    result["history"] = {
        **replayed.counts,
        "accounts": len(replayed.accounts),
        "from": span.start.date().isoformat(),
        "days": span.days,
        "seed": seed,
        "skipped": replayed.skipped.count,
        "skipped_lines": [
            {"where": where, "reason": reason} for where, reason in replayed.skipped.lines
        ],
    }
    if OTHER in models:
        other = summarize(replayed, seed, OTHER)
        other.pop("baselines")
        other["model_version"] = models[OTHER].version
        other["disagreement"] = comparison(replayed, MODEL, OTHER)
        result["compare"] = other
    return result
