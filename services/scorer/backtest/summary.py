"""A backtest's figures as one JSON-ready object: the model's, by segment, and the baselines'."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.scorer.backtest.baselines import BASELINES
from services.scorer.backtest.metrics import figures
from services.scorer.backtest.replay import Replayed, Span
from services.scorer.backtest.traces import Trace

NO_SEGMENT = "(none)"
HEADLINE_KEYS = (
    "auc_account_day_14d",
    "auc_account_day_30d",
    "auc_account_30d",
    "churners_flagged_14d_share",
    "healthy_flagged_share",
    "changes_per_healthy_account_month",
)
"""The figures every backtest reports for the model and for each baseline (`--json`)."""


def segments_of(traces: Sequence[Trace]) -> list[str]:
    """The segments of the accounts, sorted (accounts without one under NO_SEGMENT)."""
    return sorted({t.account.segment or NO_SEGMENT for t in traces})


def scorer_figures(traces: Sequence[Trace], span: Span, seed: int) -> dict[str, Any]:
    """One scorer's figures over all accounts, and by segment."""
    out = figures(traces, span, seed)
    out["by_segment"] = {
        segment: figures(
            [t for t in traces if (t.account.segment or NO_SEGMENT) == segment], span, seed
        )
        for segment in segments_of(traces)
    }
    return out


def summarize(replayed: Replayed, seed: int, model: str = "model") -> dict[str, Any]:
    """The figures of the model named `model`, with `baselines` holding the baselines' own."""
    span = replayed.span
    result = scorer_figures(replayed.traces[model], span, seed)
    result["baselines"] = {
        name: scorer_figures(replayed.traces[name], span, seed) for name in BASELINES
    }
    return result
