"""Replay throughput and memory of `healthmon backtest`, against reading the same file.

What it does, on a simulated history (``bench/churn_sim.py``; ``--accounts`` accounts over
``--days`` days, gzipped NDJSON in a scratch directory):

1. **baseline** (the floor): read the file and decode every line with orjson, nothing more.
2. **decode**: read and validate every line into an event or account update
   (``services.scorer.backtest.history.read_history``), as the backtest does before scoring.
3. **backtest**: the whole replay (``services.scorer.backtest.run.replay_file``: read, validate,
   fold each event into its account with the pure model, evaluate every account at each midnight,
   the baselines), without the figures computed after it.

Each is run ``--runs`` (3) times in this process, alternating; it prints records per second of
CPU time (the process's own, so busy neighbours on a shared machine do not count) of each run and
the medians, and ``ratio`` = backtest/baseline. Then memory: the replay runs in a fresh
process on the history, and on the same history with every event doubled (new event ids, same
accounts and days), and prints each one's peak RSS (``ru_maxrss``): memory follows accounts, not
events, when the two stay close.

Usage: ``python bench/backtest.py [--accounts 30] [--days 90] [--runs 3]``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson
from churn_plan import Config
from churn_sim import write_ndjson

from services.scorer.backtest.history import Skipped, read_history
from services.scorer.backtest.run import replay_file
from services.scorer.model import default_model


def baseline(path: Path) -> int:
    """Read and decode every line."""
    count = 0
    with gzip.open(path, "rb") as lines:
        for line in lines:
            orjson.loads(line)
            count += 1
    return count


def decode(path: Path) -> int:
    """Read and validate every line."""
    return sum(1 for _ in read_history(path, Skipped()))


def backtest(path: Path) -> int:
    """The whole replay through the default model and the baselines."""
    return replay_file(path, {"model": default_model()}).counts["records"]


def timed(step: Callable[[Path], int], path: Path) -> float:
    """Records per second of CPU time of one run (on a shared machine, wall time measures the
    neighbours as much as the code; the replay uses one core)."""
    started = time.process_time()
    count = step(path)
    return count / (time.process_time() - started)


def doubled(source: Path, target: Path) -> None:
    """The history with every event twice (the copy under a new event id)."""
    with gzip.open(source, "rb") as lines, gzip.open(target, "wb") as out:
        for line in lines:
            out.write(line)
            record = orjson.loads(line)
            if "kind" in record:
                record["event_id"] += "-again"
                out.write(orjson.dumps(record) + b"\n")


PEAK = """
import resource, sys
from pathlib import Path
from services.scorer.backtest.run import replay_file
from services.scorer.model import default_model
replayed = replay_file(Path(sys.argv[1]), {"model": default_model()})
print(replayed.counts["records"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss(path: Path) -> tuple[int, float]:
    """Records replayed and peak RSS (MiB) of a replay in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True, check=True
    )
    records, kib = done.stdout.split()
    return int(records), int(kib) / 1024


def main(argv: list[str] | None = None) -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=30)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-backtest-") as scratch:
        path = Path(scratch) / "history.ndjson.gz"
        with gzip.open(path, "wb") as out:
            counts = write_ndjson(Config(accounts=args.accounts, days=args.days), out)
        print(
            f"history: {args.accounts} accounts, {args.days} days, {sum(counts.values())} records"
        )
        rates: dict[str, list[float]] = {"baseline": [], "decode": [], "backtest": []}
        steps = {"baseline": baseline, "decode": decode, "backtest": backtest}
        for run in range(args.runs):
            for name, step in steps.items():
                rates[name].append(timed(step, path))
            line = "  ".join(f"{name} {values[-1]:>9,.0f}/s" for name, values in rates.items())
            print(f"run {run + 1}: {line}")
        medians = {name: statistics.median(values) for name, values in rates.items()}
        print(
            "median: "
            + "  ".join(f"{name} {value:>9,.0f}/s" for name, value in medians.items())
            + f"  ratio backtest/baseline {medians['backtest'] / medians['baseline']:.3f}"
            + f"  decode/baseline {medians['decode'] / medians['baseline']:.3f}"
        )
        twice = Path(scratch) / "doubled.ndjson.gz"
        doubled(path, twice)
        for label, file in (("history", path), ("events doubled", twice)):
            records, mib = peak_rss(file)
            print(f"peak RSS, {label:>14}: {mib:7.1f} MiB for {records} records")


if __name__ == "__main__":
    main(sys.argv[1:])
