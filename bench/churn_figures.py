"""The health model's figures (DESIGN.md section 10) on the churn simulation, with two baselines.

Run `python bench/churn_figures.py` (600 accounts, 180 days, the fixed seed; about a minute)
for a table, `--json` for one JSON object: the model's figures at the top level, by segment and
by churn pattern, and `baselines` holding the same per baseline.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from churn_metrics import figures
from churn_plan import PATTERNS, SEED, SEGMENTS, Config, plan
from churn_replay import SCORERS, Trace, replay

from services.scorer.model import HealthModel, default_model, load_model

PATTERN_KEYS = ("auc_account_30d", "churners_flagged_14d_share", "lead_days_quartiles")
ROWS = (
    ("auc_account_day_14d", "account-day AUC, 14 days"),
    ("auc_account_day_30d", "account-day AUC, 30 days"),
    ("auc_account_30d", "per-account AUC, 30 days"),
    ("churners_flagged_14d_share", "churners flagged >= 14 days before"),
    ("churners_red_14d_share", "churners red >= 14 days before"),
    ("churners_never_red_share", "churners never red in last 90 days"),
    ("churners_held_flag_14d_share", "churners flagged from 14 days to end"),
    ("lead_days_quartiles", "lead time, days (quartiles)"),
    ("healthy_flagged_share", "retained accounts ever flagged"),
    ("healthy_red_share", "retained accounts ever red"),
    ("changes_per_healthy_account_month", "changes per retained account-month"),
    ("holiday_week_changes_ratio", "holiday week / normal week changes"),
    ("week_after_holiday_changes_ratio", "week after holiday / normal week"),
)


def scorer_figures(traces: Sequence[Trace], config: Config) -> dict[str, Any]:
    """One scorer's figures: over all accounts, by segment and by churn pattern."""
    out = figures(traces, config)
    out["by_segment"] = {
        s.name: figures([t for t in traces if t.account.segment == s.name], config)
        for s in SEGMENTS
    }
    retained = [t for t in traces if not t.account.churned]
    by_pattern = {}
    for pattern in PATTERNS:
        chosen = [t for t in traces if t.account.pattern == pattern] + retained
        values = figures(chosen, config)
        by_pattern[pattern] = {key: values[key] for key in PATTERN_KEYS}
    out["by_pattern"] = by_pattern
    return out


def run(config: Config, model: HealthModel) -> dict[str, Any]:
    """Replay every account and compute the figures of the model and of the baselines."""
    traces: dict[str, list[Trace]] = {name: [] for name in SCORERS}
    for account in plan(config):
        for name, trace in replay(config, account, model).items():
            traces[name].append(trace)
    result = scorer_figures(traces["model"], config)
    result["model_version"] = model.version
    result["config"] = {"accounts": config.accounts, "days": config.days, "seed": config.seed}
    result["baselines"] = {name: scorer_figures(traces[name], config) for name in SCORERS[1:]}
    return result


def cell(value: Any) -> str:
    """A figure as table text."""
    if value is None:
        return "-"
    if isinstance(value, list):
        return " / ".join(f"{v:g}" for v in value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def table(result: dict[str, Any]) -> str:
    """The figures side by side: the model and the two baselines."""
    columns = [result, *result["baselines"].values()]
    names = ["model", *result["baselines"]]
    lines = [f"{'':40}" + "".join(f"{n:>20}" for n in names)]
    for key, label in ROWS:
        lines.append(f"{label:40}" + "".join(f"{cell(c[key]):>20}" for c in columns))
    lines.append("precision at 30 days (changes)")
    for kind in result["precision_by_kind"]:
        values = [c["precision_by_kind"][kind] for c in columns]
        texts = [f"{cell(v['precision_30d'])} ({v['changes']})" for v in values]
        lines.append(f"  {kind:38}" + "".join(f"{t:>20}" for t in texts))
    for group, keys in (("by_segment", ROWS[:4] + ROWS[8:11]), ("by_pattern", ROWS[2:4])):
        for name in result[group]:
            lines.append(f"{group[3:]} {name}")
            for key, label in keys:
                texts = [cell(c[group][name][key]) for c in columns]
                lines.append(f"  {label:38}" + "".join(f"{t:>20}" for t in texts))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Simulate, replay and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=Config.accounts)
    parser.add_argument("--days", type=int, default=Config.days)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--model", type=Path, help="model file (default: the shipped model)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    config = Config(accounts=args.accounts, days=args.days, seed=args.seed)
    model = load_model(args.model) if args.model else default_model()
    started = time.perf_counter()
    result = run(config, model)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
        return
    print(table(result))
    print(
        f"({config.accounts} accounts, {config.days} days, seed {config.seed}, "
        f"model {model.version}, {time.perf_counter() - started:.0f} s)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
