"""How fast a Faust agent can read events when it does nothing with them: the ceiling Faust's
per-message path puts on a scorer, next to a bare aiokafka loop over the same events.

Why it exists: the scorer once ran as a faust-streaming agent and could not get near the
20,000 events/s target. This measures Faust's own floor, so the choice of a plain consumer
for the scorer (docs/scorer.md) can be checked on any machine:

1. generates and produces ``--events`` events (as bench/scorer.py does) on a local broker;
2. **baseline**: bench/scorer.py's bare aiokafka consume + orjson decode + dict update loop;
3. **faust**: a worker process with one agent over the three event topics that only counts
   the events it gets from ``stream.take_events(1000, 0.05)``, once without and once with
   Faust's Prometheus sensors; its rate is counted from its first batch to the last event.

Needs the ``bench`` extra (``pip install -e '.[bench]'``, which adds faust-streaming).
Usage: ``python bench/faust_ceiling.py [--events N] [--runs R] [--engine tansu|noida]``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from scorer import DAYS, baseline, generate, produce

from services.kafka.topics import ensure_topics
from services.local.broker import ENGINES, start_broker
from services.local.ports import free_port
from services.settings import Settings

AGENT = """
import os, sys, time
import faust
from faust.worker import Worker

bootstrap, prefix, expected, sensors = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
app = faust.App(
    prefix + "ceiling", broker=f"kafka://{bootstrap}", store="memory://",
    topic_allow_declare=False, topic_disable_leader=True, broker_rebalance_timeout=3,
    broker_session_timeout=10, consumer_auto_offset_reset="earliest", web_enabled=False,
)
if sensors == "yes":
    from faust.sensors.prometheus import setup_prometheus_sensors
    setup_prometheus_sensors(app)
raw = dict(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
names = ("usage-events", "ticket-events", "payment-events")
topics = app.topic(*(prefix + t for t in names), **raw)
seen = {"n": 0, "first": 0.0, "first_n": 0, "cpu": 0.0}

@app.agent(topics)
async def count(stream):
    async for events in stream.take_events(1000, 0.05):
        seen["n"] += len(events)
        if not seen["first"]:
            seen["first"], seen["first_n"] = time.perf_counter(), seen["n"]
            seen["cpu"] = time.process_time()
        if seen["n"] >= expected:
            span = time.perf_counter() - seen["first"]
            counted = seen["n"] - seen["first_n"]
            cpu = (time.process_time() - seen["cpu"]) * 1e6 / counted
            print(f"RESULT {counted / span:.0f} {cpu:.1f}", flush=True)
            os._exit(0)

Worker(app, loglevel="warning", quiet=True).execute_from_commandline()
"""


def faust_rate(bootstrap: str, prefix: str, expected: int, sensors: bool) -> tuple[float, float]:
    """Events/s and CPU µs/event of the counting agent."""
    done = subprocess.run(
        [sys.executable, "-c", AGENT, bootstrap, prefix, str(expected), "yes" if sensors else "no"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    # Faust's worker routes the agent's print through its logging (stderr), with a prefix.
    found = re.findall(r"RESULT (\S+) (\S+)", done.stdout + done.stderr)
    if not found:
        raise SystemExit(
            f"the Faust agent did not finish:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    rate, cpu = found[-1]
    return float(rate), float(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine", choices=ENGINES, default="tansu")
    args = parser.parse_args()
    workload = generate(args.events, max(1, args.events // 15), DAYS)
    rows: dict[str, list[float]] = {"baseline": [], "faust": [], "faust+sensors": []}
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_broker(args.engine, free_port(), Path(tmp)) as broker,
    ):
        for run in range(1, args.runs + 1):
            for name in rows:
                prefix = f"ceiling-{uuid.uuid4().hex[:8]}-"
                settings = Settings(
                    kafka_bootstrap_servers=broker.bootstrap,
                    topic_prefix=prefix,
                    kafka_rebalance_timeout_s=3.0,
                )
                ensure_topics(settings)
                produce(broker.bootstrap, settings, workload.records)
                if name == "baseline":
                    rate = baseline(broker.bootstrap, settings, args.events, 3)
                    rows[name].append(rate.events_per_s)
                    print(f"run {run}  baseline        {rate.events_per_s:>9,.0f} ev/s")
                else:
                    per_s, cpu = faust_rate(
                        broker.bootstrap, prefix, args.events, name.endswith("sensors")
                    )
                    rows[name].append(per_s)
                    print(f"run {run}  {name:<15} {per_s:>9,.0f} ev/s  ({cpu:.1f} us CPU/event)")
    base = statistics.median(rows["baseline"])
    print(f"\nmedian over {args.runs} run(s), {args.events:,} events, {args.engine}")
    for name, rates in rows.items():
        median = statistics.median(rates)
        print(f"  {name:<15} {median:>9,.0f} ev/s   ratio {median / base:.3f} of the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
