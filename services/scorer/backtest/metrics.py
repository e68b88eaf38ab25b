"""The figures a model is judged by (DESIGN.md section 10), from sampled traces and churn labels."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

from services.scorer.backtest.replay import Span
from services.scorer.backtest.traces import BAND_CODE, Change, Trace

EVAL_FROM = 60
"""The first day (0-based) of the history that is judged; the days before are warm-up."""
FLAGGED = ("yellow", "red")
WINDOW = 90
"""How far before its churn a churner's flag counts as a warning, in days."""
RISK_KINDS = ("into_yellow", "into_red", "critical", "drop")
MONTH_DAYS = 30.4375


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """Mann-Whitney AUC: the chance a positive has the higher risk (ties count a half)."""
    if not positives or not negatives:
        return None
    values = sorted([(v, 1) for v in positives] + [(v, 0) for v in negatives])
    rank_sum, i = 0.0, 0
    while i < len(values):
        j = i
        while j < len(values) and values[j][0] == values[i][0]:
            j += 1
        average = (i + 1 + j) / 2  # ranks i+1..j share their mean
        rank_sum += average * sum(label for _, label in values[i:j])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def roc_points(positives: Sequence[float], negatives: Sequence[float]) -> list[tuple[float, float]]:
    """The ROC curve: (false positive rate, true positive rate) at each risk threshold."""
    if not positives or not negatives:
        return []
    thresholds = sorted({*positives, *negatives}, reverse=True)
    pos, neg = sorted(positives, reverse=True), sorted(negatives, reverse=True)
    points, p, n = [(0.0, 0.0)], 0, 0
    for threshold in thresholds:
        while p < len(pos) and pos[p] >= threshold:
            p += 1
        while n < len(neg) and neg[n] >= threshold:
            n += 1
        points.append((n / len(neg), p / len(pos)))
    return points


def account_day_risks(
    traces: Iterable[Trace], horizon: int, days: int
) -> tuple[list[float], list[float]]:
    """Each judged account-day's risk, split by whether the account churns within `horizon`
    days (days after its churn left out)."""
    positives: list[float] = []
    negatives: list[float] = []
    for trace in traces:
        churn = trace.account.churn_day
        for day in range(EVAL_FROM, days - horizon + 1):
            risk = trace.risk(day)
            if risk is None or (churn is not None and day >= churn):
                continue
            churns = churn is not None and churn <= day + horizon
            (positives if churns else negatives).append(risk)
    return positives, negatives


def account_day_auc(traces: Iterable[Trace], horizon: int, days: int) -> float | None:
    """Account-day AUC: each judged day's risk, positive when the account churns within H days."""
    return auc(*account_day_risks(traces, horizon, days))


def drawn_day(trace: Trace, seed: int, days: int) -> int:
    """The day drawn for a retained account in the per-account AUC (seeded)."""
    return random.Random(f"{seed}:{trace.account.account_id}:draw").randrange(EVAL_FROM, days - 29)


def account_risks(traces: Sequence[Trace], seed: int, days: int) -> tuple[list[float], list[float]]:
    """Each churner's risk 30 days before it churns, and each retained account's on a drawn day."""
    positives: list[float] = []
    negatives: list[float] = []
    if days - 29 <= EVAL_FROM:
        return positives, negatives
    for trace in traces:
        churn = trace.account.churn_day
        day = drawn_day(trace, seed, days) if churn is None else math.floor(churn) - 30
        risk = trace.risk(day) if 0 <= day < len(trace.risks) else None
        if risk is not None:
            (negatives if churn is None else positives).append(risk)
    return positives, negatives


def account_auc(traces: Sequence[Trace], seed: int, days: int) -> float | None:
    """Per-account AUC at 30 days: each churner 30 days before it churns against a drawn day."""
    return auc(*account_risks(traces, seed, days))


def _flagged(trace: Trace, day: int, bands: tuple[str, ...]) -> bool:
    return trace.band(day) in bands


def lead_days(trace: Trace, bands: tuple[str, ...] = FLAGGED) -> float:
    """Days from the first flag in the WINDOW days before its churn to the churn (0: none)."""
    churn = trace.account.churn_day
    assert churn is not None
    last = min(math.floor(churn), len(trace.bands) - 1)
    for day in range(max(0, last - WINDOW), last + 1):
        if _flagged(trace, day, bands):
            return churn - day
    return 0.0


def held_days(trace: Trace, bands: tuple[str, ...] = FLAGGED) -> float:
    """Days the account stayed flagged, without a break, up to its churn (0: not flagged)."""
    churn = trace.account.churn_day
    assert churn is not None
    first = None
    for day in range(min(math.floor(churn), len(trace.bands) - 1), -1, -1):
        if not _flagged(trace, day, bands):
            break
        first = day
    return 0.0 if first is None else churn - first


def risk_changes(trace: Trace, start: float, end: float) -> list[Change]:
    """The account's changes from `start` to `end` (days), its first score left out."""
    return [c for c in trace.changes if start <= c.day < end and "initial" not in c.kinds]


def holiday_day(span: Span) -> int | None:
    """The first day of the year-end holiday week (24 December) inside the judged days."""
    for day in range(EVAL_FROM, span.days - 7):
        date = span.at(day)
        if (date.month, date.day) == (12, 24):
            return day
    return None


def holiday_ratios(retained: Sequence[Trace], span: Span) -> tuple[float | None, float | None]:
    """Changes in the holiday week, and in the week after it, against a normal week's mean."""
    first = holiday_day(span)
    if first is None:
        return None, None
    weeks: dict[int, int] = {}
    for k in range(-((first - EVAL_FROM) // 7), (span.days - first) // 7):
        start = first + 7 * k
        weeks[k] = sum(len(risk_changes(t, start, start + 7)) for t in retained)
    normal = [n for k, n in weeks.items() if k not in (0, 1)]
    mean = statistics.fmean(normal) if normal else 0.0
    if not mean:
        return None, None
    return weeks[0] / mean, weeks.get(1, 0) / mean


def precision(traces: Sequence[Trace], days: int) -> dict[str, dict[str, float | int | None]]:
    """For each kind of change: how many, and the share followed by a churn within 30 days."""
    out: dict[str, dict[str, float | int | None]] = {}
    for kind in (*RISK_KINDS, "any"):
        hits = total = 0
        for trace in traces:
            churn = trace.account.churn_day
            for change in risk_changes(trace, EVAL_FROM, days - 30):
                if churn is not None and change.day >= churn:
                    continue
                if kind in change.kinds or (kind == "any" and change.kinds & set(RISK_KINDS)):
                    total += 1
                    hits += churn is not None and churn - change.day <= 30
        out[kind] = {"changes": total, "precision_30d": hits / total if total else None}
    return out


def _quartiles(values: Sequence[float]) -> list[float] | None:
    if len(values) < 2:
        return None
    return [round(q, 1) for q in statistics.quantiles(values, n=4, method="inclusive")]


def ever_flagged(trace: Trace, bands: tuple[str, ...] = FLAGGED) -> bool:
    """Whether the account was in one of `bands` at a judged midnight."""
    codes = {BAND_CODE[b] for b in bands}
    return any(code in codes for code in trace.bands[EVAL_FROM:])


def figures(traces: Sequence[Trace], span: Span, seed: int) -> dict[str, Any]:
    """Every figure for one scorer over a set of accounts."""
    days = span.days
    churners = [t for t in traces if t.account.churned]
    retained = [t for t in traces if not t.account.churned]
    leads = [lead_days(t) for t in churners]
    red_leads = [lead_days(t, ("red",)) for t in churners]
    held = [held_days(t) for t in churners]
    months = (days - EVAL_FROM) / MONTH_DAYS
    changes = sum(len(risk_changes(t, EVAL_FROM, days)) for t in retained)
    holiday, after = holiday_ratios(retained, span)
    ever = [ever_flagged(t) for t in retained]
    ever_red = [ever_flagged(t, ("red",)) for t in retained]
    share = statistics.fmean
    per_month = changes / len(retained) / months if retained and months > 0 else None
    return {
        "accounts": len(traces),
        "churners": len(churners),
        "auc_account_day_14d": account_day_auc(traces, 14, days),
        "auc_account_day_30d": account_day_auc(traces, 30, days),
        "auc_account_30d": account_auc(traces, seed, days),
        "churners_flagged_14d_share": share(x >= 14 for x in leads) if leads else None,
        "churners_red_14d_share": share(x >= 14 for x in red_leads) if red_leads else None,
        "churners_never_red_share": share(x == 0 for x in red_leads) if red_leads else None,
        "churners_held_flag_14d_share": share(x >= 14 for x in held) if held else None,
        "lead_days_quartiles": _quartiles(leads),
        "healthy_flagged_share": share(ever) if ever else None,
        "healthy_red_share": share(ever_red) if ever_red else None,
        "changes_per_healthy_account_month": per_month,
        "holiday_week_changes_ratio": holiday,
        "week_after_holiday_changes_ratio": after,
        "precision_by_kind": precision(traces, days),
    }
