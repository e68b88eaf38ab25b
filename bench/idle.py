"""CPU of an idle `healthmon up`: each of its processes over a window after a rest, per broker.

    python bench/idle.py                      # both brokers at once, 60 s rest, 60 s window
    python bench/idle.py --rest 10 --window 20 --engine noida
    python bench/idle.py --json               # {"noida": {"ours": ..., "scorer": ...}, ...}

CPU time is read from /proc (user + system, children of each process included), so the figures
do not depend on how busy the machine is otherwise; the broker is reported but not counted as ours.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from local_system import local_system

TICK = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every process below `pid`."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        kids = [
            int(child)
            for task in Path(f"/proc/{parent}/task").glob("*")
            for child in (task / "children").read_text().split()
        ]
        found += kids
        todo += kids
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def role(pid: int) -> str:
    """Which part of the system a process is, from its command line."""
    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    if "noida" in cmd or "tansu" in cmd or " broker " in cmd:
        return "broker"
    match = re.search(r"services\.cli (ingest|scorer|alerts)|healthmon (ingest|scorer|alerts)", cmd)
    return next(g for g in match.groups() if g) if match else "other"


def measure(engine: str, rest_s: float, window_s: float) -> dict[str, float]:
    """Percent of a core per part of an idle `healthmon up` on `engine`."""
    with local_system(engine) as system:
        up = system.process
        time.sleep(rest_s)
        pids = [up.pid, *descendants(up.pid)]
        before = {pid: cpu_seconds(pid) for pid in pids}
        time.sleep(window_s)
        used: dict[str, float] = {}
        for pid in pids:
            part = "up" if pid == up.pid else role(pid)
            used[part] = used.get(part, 0.0) + cpu_seconds(pid) - before[pid]
        return {part: 100 * seconds / window_s for part, seconds in used.items()}


def main() -> None:
    """Measure the engines side by side (CPU time is per process) and print the percentages."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["noida", "tansu"], action="append")
    parser.add_argument("--rest", type=float, default=60.0)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    engines = args.engine or ["noida", "tansu"]
    with ThreadPoolExecutor(len(engines)) as pool:
        results = dict(
            zip(
                engines,
                pool.map(lambda e: measure(e, args.rest, args.window), engines),
                strict=True,
            )
        )
    report: dict[str, dict[str, float]] = {}
    for engine, shares in results.items():
        ours = sum(v for k, v in shares.items() if k != "broker")
        report[engine] = {"ours": round(ours, 2), **{k: round(v, 2) for k, v in shares.items()}}
        if not args.json:
            parts = ", ".join(f"{k} {v:.2f}%" for k, v in sorted(shares.items()))
            print(f"{engine}: ours {ours:.2f}% of a core ({parts})", flush=True)
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
