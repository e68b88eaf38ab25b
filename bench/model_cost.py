"""CPU per event of the pure health model, against the bare loop around it, in one process.

    python bench/model_cost.py                       # 50,000 events of 5,000 accounts, 7 runs
    python bench/model_cost.py --events 20000 --accounts 2000 --runs 5 --json

The scorer bench's events (bench/workload.py: the last 28 days, in production order, each run
from fresh states) are validated once, then folded with the model's `apply` and, as the
baseline, with the null model's `note_only` (bench/null_model.py: the event is counted and
nothing is judged), alternating, each timed in process CPU time. The accounts are spread over 8
partitions by a hash of their key, and those of a partition are each other's population, as in
the scorer.
It prints the medians and their ratio: compare model versions by running it on each tree; the
ratio to the bare loop takes out most of what the machine's load does to both.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from null_model import note_only
from workload import generate

from schemas import EVENT_ADAPTER, Event
from schemas.codec import loads
from services.scorer.model import AccountState, HealthModel, LateEvent, apply, default_model
from services.scorer.state.partitions import PartitionStates

PARTITIONS = 8
Fold = Callable[[AccountState, Event, HealthModel, datetime | None, tuple[str, int] | None], object]


def fold_all(events: Sequence[tuple[int, Event]], model: HealthModel, fold: Fold) -> float:
    """CPU seconds to fold `events` ((partition, event) pairs) into fresh states."""
    held = PartitionStates()
    started = time.process_time()
    for partition, event in events:
        state = held.get(event.account_id)
        if state is None:
            held.place({event.account_id: partition})
            state = AccountState(event.account_id)
            held.put(event.account_id, state)
        with contextlib.suppress(LateEvent):
            fold(state, event, model, None, None)
    return time.process_time() - started


def measure(events: int, accounts: int, runs: int) -> dict[str, Any]:
    """Median µs per event for the model and the bare loop, and their ratio."""
    workload = generate(events, accounts)
    parsed = [
        (zlib.crc32(r.key) % PARTITIONS, EVENT_ADAPTER.validate_python(loads(r.value)))
        for r in workload.records
    ]
    model = default_model()
    timed: dict[str, list[float]] = {"model": [], "bare": []}
    for _ in range(runs):
        timed["model"].append(fold_all(parsed, model, apply))
        timed["bare"].append(fold_all(parsed, model, note_only))
    per_event = {k: 1e6 * statistics.median(v) / len(parsed) for k, v in timed.items()}
    return {
        "model_version": model.version,
        "events": len(parsed),
        "model_us": round(per_event["model"], 2),
        "bare_us": round(per_event["bare"], 2),
        "ratio": round(per_event["model"] / per_event["bare"], 2),
    }


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = measure(args.events, args.accounts, args.runs)
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"model {result['model_version']}: {result['model_us']} µs per event, bare loop "
        f"{result['bare_us']} µs, ratio {result['ratio']} ({result['events']} events, "
        f"median of {args.runs} runs each)"
    )


if __name__ == "__main__":
    main()
