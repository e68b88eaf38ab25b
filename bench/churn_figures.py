"""The health model's figures (DESIGN.md section 10) on the churn simulation, with two baselines.

Run `python bench/churn_figures.py` (600 accounts, 180 days, the fixed seed; about a minute)
for a table, `--json` for one JSON object: the model's figures at the top level, by segment and
by churn pattern, and `baselines` holding the same per baseline.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
from churn_plan import PATTERNS, Account, Config, plan
from churn_sim import records

from schemas import EVENT_ADAPTER, AccountUpdate, Event
from services.scorer.backtest.baselines import BASELINES
from services.scorer.backtest.history import Record
from services.scorer.backtest.metrics import figures
from services.scorer.backtest.replay import Replay, Replayed
from services.scorer.backtest.report import ROWS, cell
from services.scorer.backtest.scoring import ModelScorer
from services.scorer.backtest.summary import scorer_figures
from services.scorer.backtest.traces import Trace
from services.scorer.model import HealthModel, default_model, load_model

PATTERN_KEYS = ("auc_account_30d", "churners_flagged_14d_share", "lead_days_quartiles")


def stream(config: Config, accounts: list[Account]) -> Iterator[Record]:
    """The simulated accounts' records in event-time order, validated as the backtest reads a
    history file (in time order, each segment's accounts are the population its accounts are
    judged beside, as on a scorer partition)."""
    for value in records(config, accounts):
        item: Event | AccountUpdate = (
            EVENT_ADAPTER.validate_python(value)
            if "kind" in value
            else AccountUpdate.model_validate(value)
        )
        at = item.updated_at if isinstance(item, AccountUpdate) else item.occurred_at
        yield Record(0, at.timestamp(), item)


def replay_simulation(config: Config, accounts: list[Account], model: HealthModel) -> Replayed:
    """Replay every account through the backtest (the product's replay, metrics and baselines),
    with the simulation's ground truth as labels and segments."""
    run = Replay({"model": ModelScorer(model)}, start=config.start)
    run.days = config.days
    for account in accounts:
        run.ensure(account.account_id)  # an account without records still counts
    for record in stream(config, accounts):
        run.feed(record)
    replayed = run.finish(config.days)
    truth = {a.account_id: a for a in accounts}
    for known in replayed.accounts:
        known.churn_day = truth[known.account_id].churn_day
        known.segment = truth[known.account_id].segment
    return replayed


def pattern_figures(
    traces: Sequence[Trace], config: Config, replayed: Replayed, patterns: dict[str, str | None]
) -> dict[str, Any]:
    """The figures of each churn pattern's churners against every retained account."""
    retained = [t for t in traces if not t.account.churned]
    by_pattern = {}
    for pattern in PATTERNS:
        chosen = [t for t in traces if patterns[t.account.account_id] == pattern] + retained
        values = figures(chosen, replayed.span, config.seed)
        by_pattern[pattern] = {key: values[key] for key in PATTERN_KEYS}
    return by_pattern


def run(config: Config, model: HealthModel) -> dict[str, Any]:
    """Replay every account and compute the figures of the model and of the baselines."""
    accounts = plan(config)
    replayed = replay_simulation(config, accounts, model)
    patterns = {a.account_id: a.pattern for a in accounts}

    def of(name: str) -> dict[str, Any]:
        traces = replayed.traces[name]
        out = scorer_figures(traces, replayed.span, config.seed)
        out["by_pattern"] = pattern_figures(traces, config, replayed, patterns)
        return out

    result = of("model")
    result["model_version"] = model.version
    result["config"] = {"accounts": config.accounts, "days": config.days, "seed": config.seed}
    result["baselines"] = {name: of(name) for name in BASELINES}
    return result


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
    Config.add_arguments(parser)
    parser.add_argument("--model", type=Path, help="model file (default: the shipped model)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    config = Config.from_args(args)
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
