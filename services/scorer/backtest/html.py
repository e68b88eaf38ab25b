"""`--html FILE`: a self-contained report (inline SVG charts, no script, opens offline)."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from services.scorer.backtest.charts import Series, bar_chart, line_chart
from services.scorer.backtest.metrics import (
    EVAL_FROM,
    WINDOW,
    account_day_risks,
    lead_days,
    roc_points,
)
from services.scorer.backtest.replay import Replayed
from services.scorer.backtest.report import ROWS, SEGMENT_ROWS, cell, columns
from services.scorer.backtest.run import MODEL, OTHER
from services.scorer.backtest.traces import Trace
from services.scorer.model import HealthModel

ROC_POINTS = 200
TOP_SIGNALS = 12
NOT_SIGNALS = ("recovery",)
LEAD_BIN_DAYS = 7


def _quartiles(values: list[float]) -> tuple[float, float, float] | None:
    if len(values) < 2:
        return None
    low, mid, high = statistics.quantiles(values, n=4, method="inclusive")
    return low, mid, high


def score_curves(traces: Sequence[Trace], days: int) -> list[Series]:
    """Median score (and quartiles) of churners by days before their churn, against retained
    accounts by days before the end of the history."""
    out = []
    for label, chosen in (
        ("churners, before their churn", [t for t in traces if t.account.churned]),
        ("retained, before the end", [t for t in traces if not t.account.churned]),
    ):
        series = Series(f"{label} ({len(chosen)})", [])
        for back in range(WINDOW, -1, -1):
            scores = []
            for trace in chosen:
                churn = trace.account.churn_day
                day = (math.floor(churn) if churn is not None else days - 1) - back
                risk = trace.risk(day) if 0 <= day < len(trace.risks) else None
                if risk is not None:
                    scores.append(100 - risk)
            found = _quartiles(scores)
            if found is not None:
                series.points.append((-back, found[1]))
                series.band.append((-back, found[0], found[2]))
        out.append(series)
    return out


def _thin(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) <= ROC_POINTS:
        return points
    step = len(points) / ROC_POINTS
    return [points[int(i * step)] for i in range(ROC_POINTS)] + [points[-1]]


def roc_series(replayed: Replayed, names: Sequence[tuple[str, str]]) -> list[Series]:
    """The account-day ROC curve at 30 days of each scorer."""
    out = []
    for name, label in names:
        points = roc_points(*account_day_risks(replayed.traces[name], 30, replayed.span.days))
        out.append(Series(label, _thin(points)))
    out.append(Series("chance", [(0.0, 0.0), (1.0, 1.0)], dashed=True))
    return out


def lead_histogram(traces: Sequence[Trace]) -> list[tuple[str, float]]:
    """Churners by lead time (days from the first flag to the churn), in weekly bins."""
    leads = [lead_days(t) for t in traces if t.account.churned]
    bins: Counter[int] = Counter(
        -1 if lead <= 0 else min(int(lead // LEAD_BIN_DAYS), WINDOW // LEAD_BIN_DAYS)
        for lead in leads
    )
    bars = [("not flagged", float(bins[-1]))]
    for k in range(WINDOW // LEAD_BIN_DAYS + 1):
        bars.append((f"{k * LEAD_BIN_DAYS}-{(k + 1) * LEAD_BIN_DAYS} days", float(bins[k])))
    return bars


def retained_signals(traces: Sequence[Trace]) -> list[tuple[str, float]]:
    """The reasons the model's changes gave most on retained accounts (judged days)."""
    counts: Counter[str] = Counter()
    for trace in traces:
        if trace.account.churned:
            continue
        for change in trace.changes:
            if change.day < EVAL_FROM or "initial" in change.kinds:
                continue
            counts.update(
                c for c in change.codes if c not in NOT_SIGNALS and not c.endswith(".improved")
            )
    return [(code, float(n)) for code, n in counts.most_common(TOP_SIGNALS)]


def render(result: dict[str, Any], replayed: Replayed, models: dict[str, HealthModel]) -> str:
    """The report as one HTML document."""
    env = Environment(
        loader=PackageLoader("services.scorer.backtest", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    names = [(MODEL, f"model {models[MODEL].version}")]
    if OTHER in models:
        names.append((OTHER, f"model {models[OTHER].version}"))
    names += [(n, n.replace("_", " ")) for n in result["baselines"]]
    model_traces = replayed.traces[MODEL]
    charts = {
        "scores": line_chart(
            score_curves(model_traces, replayed.span.days),
            (-WINDOW, 0),
            (0, 100),
            "days before churn (churners) or before the end of the history (retained)",
            "score (median, quartiles shaded)",
            ticks=5,
            legend="lower left",
        ),
        "roc": line_chart(
            roc_series(replayed, names),
            (0, 1),
            (0, 1),
            "false positive rate (account-days without churn within 30 days)",
            "true positive rate",
        ),
        "leads": bar_chart(lead_histogram(model_traces), "churners"),
        "signals": bar_chart(retained_signals(model_traces), "times given on retained accounts"),
    }
    cols = columns(result)
    rows = [(label, [cell(figures[key]) for _, figures in cols]) for key, label in ROWS]
    precision = [
        (
            kind,
            [
                f"{cell(f['precision_by_kind'][kind]['precision_30d'])} "
                f"({f['precision_by_kind'][kind]['changes']})"
                for _, f in cols
            ],
        )
        for kind in result["precision_by_kind"]
    ]
    segments = [
        (
            segment,
            result["by_segment"][segment],
            [
                (label, [cell(f["by_segment"].get(segment, {}).get(key)) for _, f in cols])
                for key, label in SEGMENT_ROWS
            ],
        )
        for segment in result["by_segment"]
    ]
    template = env.get_template("backtest.html.j2")
    return template.render(
        result=result,
        history=result["history"],
        columns=[name for name, _ in cols],
        rows=rows,
        precision=precision,
        segments=segments,
        charts=charts,
        disagreement=result.get("compare", {}).get("disagreement"),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def write_report(
    path: Path, result: dict[str, Any], replayed: Replayed, models: dict[str, HealthModel]
) -> None:
    """Write the report to `path`."""
    path.write_text(render(result, replayed, models), encoding="utf-8")
