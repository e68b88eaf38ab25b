"""Throughput and state size of one scorer worker, against a bare consume loop on the same data.

What it does, on a local Kafka-protocol broker (``services.local.broker``) on 127.0.0.1:

1. Generates ``--events`` valid input events for ``--accounts`` accounts (mostly usage
   ``active``, some ``feature_used``, ticket opened/closed and payment paid/failed events,
   occurred_at spread over the last ``--days`` (28) days and mostly increasing; every account
   gets at least one event when events >= accounts). A sample is validated with
   ``schemas.EVENT_ADAPTER`` so the bench fails loudly when the contract changes. The same events
   are used in every run.
2. Per run, with a fresh topic prefix: creates the topics and pre-produces the events keyed by
   account_id (not measured).
3. **baseline**: a bare aiokafka loop (fresh group, earliest, ``getmany``) that decodes each
   event with orjson and bumps a per-account counter, until all events are read; it reads them
   ``--baseline-passes`` (3) times, seeking back to the start, so its span is not too short.
4. **scorer**: one ``python -m services.cli scorer`` worker process. Its rate is measured from
   ``healthmon_scorer_events_total`` (summed over all labels) on its ``/metrics``: events
   counted between the first poll that sees the counter above 0 and the poll that sees it reach
   the number of events, so start-up and the consumer-group join are excluded. The wall time
   including start-up is printed as well.
5. State size: the resident memory of the worker (VmRSS, read once ``/metrics`` first answers and
   again just before it is stopped) and the latest value per key of the scorer table's changelog
   topic (``<prefix>healthmon-scorer-account-state-changelog``).

Reading the output: each run prints the two rates (events/s) and ``ratio`` = scorer/baseline,
i.e. the share of the bare client's speed that the scorer reaches on this machine and broker; the
last block prints the median of each over the runs. Both rates include the broker's fetch path,
so compare ratios, not absolute rates, across machines and engines. ``RSS growth / account`` is
(VmRSS at the end - VmRSS when the endpoint first answered) / accounts, a rough upper bound of
in-memory state per account; ``changelog value bytes`` is the serialised state per account.

Usage: ``python bench/scorer.py [--events N] [--accounts A] [--runs R] [--engine noida|tansu]``
(``--help`` lists the rest: ``--days``, ``--partitions``, ``--baseline-passes``, ``--poll-ms``,
``--null-model``, ``--workdir``). With ``--null-model`` each run also measures, on topics of its
own, the worker with a model that does nothing (``bench/null_model.py``): what the worker's shell
costs before any model runs. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from workload import DAYS, BenchError, Record, Workload, generate, run_on_broker

from services.kafka.topics import ensure_topics, topic_names
from services.local.broker import ENGINES, Broker, Engine
from services.local.ports import free_port
from services.settings import Settings

HOST = "127.0.0.1"
EVENTS_METRIC = "healthmon_scorer_events_total"
CHANGELOG_SUFFIX = "healthmon-scorer-account-state-changelog"
STARTUP_TIMEOUT_S = 180.0
STALL_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
CRASH_MARKER = b"failed; reconnecting"
"""What the worker logs when its consumer loop fails; it keeps running and starts it again."""


# --------------------------------------------------------------------------- producing


async def _produce(bootstrap: str, settings: Settings, records: list[Record]) -> None:
    names = topic_names(settings)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks=1,
        linger_ms=20,
        max_batch_size=512 * 1024,
        max_request_size=4 * 1024 * 1024,
    )
    await producer.start()
    try:
        futures = [
            await producer.send(names.for_kind(r.kind), value=r.value, key=r.key) for r in records
        ]
        await producer.flush()
        results = await asyncio.gather(*futures, return_exceptions=True)
    finally:
        await producer.stop()
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        raise BenchError(f"{len(failed)} of {len(records)} sends failed, e.g. {failed[0]!r}")


def produce(bootstrap: str, settings: Settings, records: list[Record]) -> float:
    """Pre-produce `records` into the input topics; return the seconds it took."""
    started = time.perf_counter()
    asyncio.run(_produce(bootstrap, settings, records))
    return time.perf_counter() - started


# --------------------------------------------------------------------------- baseline


@dataclass(frozen=True)
class Rate:
    """A measured rate: events counted after the first observation, over the time they took."""

    events_per_s: float
    wall_s: float
    """From process/consumer start to the last event, start-up and group join included."""
    first_seen_s: float
    """When the first events were observed, after start."""
    cpu_s: float
    """CPU time (user + system) of the consuming process over the measured span."""
    events: int
    """Events in the measured span."""

    @property
    def cpu_us_per_event(self) -> float:
        return self.cpu_s / self.events * 1e6

    @property
    def cores(self) -> float:
        """Average CPU cores busy over the measured span."""
        return self.cpu_s / (self.events / self.events_per_s)


async def _baseline(bootstrap: str, settings: Settings, expected: int, passes: int) -> Rate:
    names = topic_names(settings)
    topics = (names.usage_events, names.ticket_events, names.payment_events)
    started = time.perf_counter()
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=f"{settings.topic_prefix}bench-baseline",
        auto_offset_reset="earliest",
        rebalance_timeout_ms=int(settings.kafka_rebalance_timeout_s * 1000),
        heartbeat_interval_ms=1000,
    )
    await consumer.start()
    counts: Counter[str] = Counter()
    first_at: float | None = None
    first_read = 0
    first_cpu = 0.0
    last_progress = time.perf_counter()
    try:
        for done in range(passes):
            if done:
                await consumer.seek_to_beginning()
            read = 0
            while read < expected:
                batches = await consumer.getmany(timeout_ms=100, max_records=10_000)
                now = time.perf_counter()
                for records in batches.values():
                    for record in records:
                        event = orjson.loads(record.value)
                        counts[event["account_id"]] += 1
                    read += len(records)
                if batches:
                    last_progress = now
                    if first_at is None:
                        first_at, first_read, first_cpu = now, read, time.process_time()
                elif now - last_progress > (STALL_TIMEOUT_S if first_at else STARTUP_TIMEOUT_S):
                    raise BenchError(f"baseline stalled at {read}/{expected} events")
            if read != expected:
                raise BenchError(f"baseline read {read} events in a pass, expected {expected}")
        ended, ended_cpu = time.perf_counter(), time.process_time()
    finally:
        await consumer.stop()
    assert first_at is not None
    events = expected * passes - first_read
    if ended <= first_at or events <= 0:
        raise BenchError("baseline read everything in its first fetch; raise --events")
    return Rate(
        events / (ended - first_at),
        ended - started,
        first_at - started,
        ended_cpu - first_cpu,
        events,
    )


def baseline(bootstrap: str, settings: Settings, expected: int, passes: int) -> Rate:
    """Rate of a bare aiokafka consume + orjson decode + dict update over the input topics.

    The topics are read `passes` times (seeking back to the start, no new group join), so the
    measured span is long enough to be stable even when the scorer's is minutes long.
    """
    return asyncio.run(_baseline(bootstrap, settings, expected, passes))


# --------------------------------------------------------------------------- scorer


@dataclass(frozen=True)
class ScorerRun:
    """The scorer's figures for one run."""

    rate: Rate
    outcomes: dict[str, int]
    rss_start_kib: int | None
    """VmRSS when /metrics first answered (before or as the first events were scored)."""
    rss_end_kib: int
    rss_peak_kib: int


def _status_kib(pid: int, field_name: str) -> int:
    """A `kB` field of /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise BenchError(f"no {field_name} in /proc/{pid}/status")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (threads included), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _scrape(client: httpx.Client, url: str) -> Counter[str] | None:
    """Scorer events per outcome from /metrics; None while the endpoint is not up."""
    try:
        response = client.get(url)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    outcomes: Counter[str] = Counter()
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == EVENTS_METRIC:
                outcomes[sample.labels.get("outcome", "?")] += int(sample.value)
    return outcomes


def _tail(path: Path, size: int = 4000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else "(no log)"


class CrashWatch:
    """Follows the worker's log for a failed consumer loop, reading only what is new."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def crashed(self) -> str | None:
        """The log from the first crash on (cut short), or None if the loop never failed."""
        if not self.path.exists():
            return None
        with self.path.open("rb") as log:
            log.seek(max(0, self.offset - len(CRASH_MARKER)))
            added = log.read()
            self.offset = log.tell()
        if CRASH_MARKER not in added:
            return None
        text = self.path.read_bytes()
        start = text.rfind(b"\n", 0, text.index(CRASH_MARKER)) + 1
        return text[start : start + 4000].decode(errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if the worker does not exit in time."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


WORKER = [sys.executable, "-m", "services.cli", "scorer"]
NULL_MODEL_WORKER = [sys.executable, str(Path(__file__).with_name("null_model.py"))]


def scorer(
    bootstrap: str,
    settings: Settings,
    expected: int,
    workdir: Path,
    poll_s: float,
    command: list[str] = WORKER,
) -> ScorerRun:
    """Run one scorer worker over the pre-produced events and measure it via /metrics."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHMON_")} | {
        "HEALTHMON_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "HEALTHMON_TOPIC_PREFIX": settings.topic_prefix,
        "HEALTHMON_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "HEALTHMON_DATA_DIR": str(workdir),
        "HEALTHMON_SCORER_HOST": HOST,
        "HEALTHMON_SCORER_PORT": str(port),
        "HEALTHMON_KAFKA_REBALANCE_TIMEOUT_S": str(settings.kafka_rebalance_timeout_s),
        "HEALTHMON_SCORER_BATCH_SIZE": str(settings.scorer_batch_size),
        "HEALTHMON_LOG_LEVEL": "warning",
    }
    log_path = workdir / "scorer.log"
    url = f"http://{HOST}:{port}/metrics"
    with log_path.open("wb") as log, httpx.Client(timeout=5) as client:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            return _watch(process, client, url, expected, started, poll_s, log_path)
        finally:
            _stop(process)


def _watch(
    process: subprocess.Popen[bytes],
    client: httpx.Client,
    url: str,
    expected: int,
    started: float,
    poll_s: float,
    log_path: Path,
) -> ScorerRun:
    rss_start: int | None = None
    first_at: float | None = None
    first_count = 0
    first_cpu = 0.0
    last_total, last_progress = 0, started
    watch = CrashWatch(log_path)
    while True:
        if process.poll() is not None:
            raise BenchError(
                f"scorer exited with {process.returncode} at {last_total}/{expected} events\n"
                f"--- {log_path} ---\n{_tail(log_path)}"
            )
        if crash := watch.crashed():
            raise BenchError(
                f"a scorer agent crashed at {last_total}/{expected} events (the worker "
                f"process keeps running but scores nothing)\n--- {log_path} ---\n{crash}"
            )
        outcomes = _scrape(client, url)
        now = time.perf_counter()
        total = sum(outcomes.values()) if outcomes is not None else 0
        if outcomes is not None and rss_start is None:
            rss_start = _status_kib(process.pid, "VmRSS")
        if total > 0 and first_at is None:
            first_at, first_count, first_cpu = now, total, _cpu_s(process.pid)
        if total >= expected:
            break
        if total != last_total:
            last_total, last_progress = total, now
        limit = STALL_TIMEOUT_S if first_at is not None else STARTUP_TIMEOUT_S
        if now - last_progress > limit:
            state = "stalled" if first_at is not None else "scored nothing"
            raise BenchError(
                f"scorer {state} for {limit:.0f}s at {total}/{expected} events\n"
                f"--- {log_path} ---\n{_tail(log_path)}"
            )
        time.sleep(poll_s)
    assert outcomes is not None and first_at is not None
    cpu = _cpu_s(process.pid) - first_cpu
    rss_end = _status_kib(process.pid, "VmRSS")
    rss_peak = _status_kib(process.pid, "VmHWM")
    if now <= first_at or first_count >= expected:
        raise BenchError("the scorer was done by the first poll that saw it; raise --events")
    events = total - first_count
    rate = Rate(events / (now - first_at), now - started, first_at - started, cpu, events)
    return ScorerRun(rate, dict(outcomes), rss_start, rss_end, rss_peak)


# --------------------------------------------------------------------------- changelog


@dataclass(frozen=True)
class Changelog:
    """Latest value per key of the scorer table's changelog topic."""

    topic: str
    records: int
    accounts: int
    value_bytes: list[int] = field(repr=False)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.value_bytes) if self.value_bytes else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.value_bytes) if self.value_bytes else 0.0

    @property
    def max(self) -> int:
        return max(self.value_bytes, default=0)


def _read_topic(bootstrap: str, topic: str, timeout_s: float = 120.0) -> Iterator[Any]:
    """Every record of `topic`, from the beginning to the end offsets at the time of the call."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = cast(dict[Any, int], consumer.end_offsets(partitions))
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            if time.monotonic() > deadline:
                raise BenchError(f"reading {topic} took over {timeout_s:.0f}s")
            for batch in consumer.poll(timeout_ms=500, max_records=10_000).values():
                yield from batch
    finally:
        consumer.close()


def read_changelog(bootstrap: str, prefix: str) -> Changelog:
    """Read the whole changelog topic of the scorer table and keep the latest value per key."""
    topic = prefix + CHANGELOG_SUFFIX
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="healthmon-bench")
    try:
        existing = set(admin.list_topics())
    finally:
        admin.close()
    if topic not in existing:
        near = sorted(t for t in existing if t.startswith(prefix))
        raise BenchError(f"changelog topic {topic} not found; topics of this run: {near}")
    latest: dict[bytes, int] = {}
    records = 0
    for record in _read_topic(bootstrap, topic):
        records += 1
        if record.value is None:
            latest.pop(record.key, None)
        else:
            latest[record.key] = len(record.value)
    return Changelog(topic, records, len(latest), list(latest.values()))


def dead_letter_reasons(bootstrap: str, settings: Settings) -> Counter[str]:
    """Dead letters of a run by stage, source topic and error (numbers masked, cut short)."""
    reasons: Counter[str] = Counter()
    for record in _read_topic(bootstrap, topic_names(settings).dead_letters):
        letter = orjson.loads(record.value)
        topic = str(letter.get("source_topic", "?")).removeprefix(settings.topic_prefix)
        error = re.sub(r"\d+(?:\.\d+)?", "#", str(letter.get("error")))[:110]
        reasons[f"{letter.get('stage')} from {topic}: {error}"] += 1
    return reasons


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class RunResult:
    """Everything measured in one run."""

    produce_s: float
    baseline: Rate
    scorer: ScorerRun
    changelog: Changelog
    null_model: ScorerRun | None = None
    """The same worker with a model that does nothing (--null-model), on its own topics."""

    @property
    def ratio(self) -> float:
        return self.scorer.rate.events_per_s / self.baseline.events_per_s


def _mib(kib: int) -> str:
    return f"{kib / 1024:,.1f} MiB"


def report_run(result: RunResult, workload: Workload, expected: int) -> None:
    """Print one run's figures."""
    s, b, c = result.scorer, result.baseline, result.changelog
    print(
        f"  produce      {expected:,} events in {result.produce_s:.1f} s "
        f"({expected / result.produce_s:,.0f} ev/s; not measured)"
    )
    print(
        f"  baseline     {b.events_per_s:>10,.0f} ev/s   "
        f"({b.events:,} events in {b.events / b.events_per_s:.1f} s; wall {b.wall_s:.1f} s, "
        f"first records after {b.first_seen_s:.1f} s)"
    )
    print(
        f"  scorer       {s.rate.events_per_s:>10,.0f} ev/s   "
        f"({s.rate.events:,} events in {s.rate.events / s.rate.events_per_s:.1f} s; "
        f"wall {s.rate.wall_s:.1f} s, first events after {s.rate.first_seen_s:.1f} s)"
    )
    print(f"  ratio        {result.ratio:>10.3f}  scorer/baseline")
    if (n := result.null_model) is not None:
        print(
            f"  null model   {n.rate.events_per_s:>10,.0f} ev/s   "
            f"({n.rate.cpu_us_per_event:,.1f} us/event; "
            f"{n.rate.events_per_s / b.events_per_s:.3f} of the baseline): the worker's shell"
        )
    print(
        f"  CPU          baseline {b.cpu_us_per_event:,.1f} us/event ({b.cores:.2f} cores), "
        f"scorer {s.rate.cpu_us_per_event:,.1f} us/event ({s.rate.cores:.2f} cores)"
    )
    print("  outcomes     " + ", ".join(f"{k}={v:,}" for k, v in sorted(s.outcomes.items())))
    start = "n/a" if s.rss_start_kib is None else _mib(s.rss_start_kib)
    print(f"  scorer RSS   at start {start}, at end {_mib(s.rss_end_kib)}, peak (VmHWM) ", end="")
    print(_mib(s.rss_peak_kib))
    if s.rss_start_kib is not None and workload.accounts_with_events:
        growth = (s.rss_end_kib - s.rss_start_kib) * 1024 / workload.accounts_with_events
        print(f"  RSS growth / account  {growth:,.0f} bytes")
    print(
        f"  changelog    {c.accounts:,} accounts ({c.records:,} records read); value bytes "
        f"mean {c.mean:,.0f}, p50 {c.p50:,.0f}, max {c.max:,}; "
        f"total {sum(c.value_bytes) / 1e6:,.1f} MB"
    )
    if c.accounts != workload.accounts_with_events:
        print(
            f"  WARNING      changelog has {c.accounts:,} accounts, "
            f"{workload.accounts_with_events:,} had events"
        )


def report_summary(results: list[RunResult]) -> None:
    """Print the medians over the runs."""
    med = statistics.median
    print(f"\nmedian over {len(results)} run(s)")
    print(f"  baseline     {med(r.baseline.events_per_s for r in results):>10,.0f} ev/s")
    print(f"  scorer       {med(r.scorer.rate.events_per_s for r in results):>10,.0f} ev/s")
    print(f"  ratio        {med(r.ratio for r in results):>10.3f}  scorer/baseline")
    nulls = [r.null_model for r in results if r.null_model is not None]
    if nulls:
        print(f"  null model   {med(n.rate.events_per_s for n in nulls):>10,.0f} ev/s")
        print(f"  null model CPU {med(n.rate.cpu_us_per_event for n in nulls):,.1f} us/event")
    cpu = med(r.scorer.rate.cpu_us_per_event for r in results)
    print(f"  scorer CPU   {cpu:,.1f} us/event")
    print(f"  scorer RSS   at end {_mib(int(med(r.scorer.rss_end_kib for r in results)))}")
    print(f"  changelog    mean value bytes {med(r.changelog.mean for r in results):,.0f}")


# --------------------------------------------------------------------------- main


def run_once(broker: Broker, workload: Workload, index: int, args: argparse.Namespace) -> RunResult:
    """One run on fresh topics: produce, baseline, scorer, changelog."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}-r{index}-"
    settings = Settings(
        kafka_bootstrap_servers=broker.bootstrap,
        topic_prefix=prefix,
        topic_partitions=args.partitions,
        kafka_rebalance_timeout_s=3.0,
        scorer_batch_size=args.batch_size or Settings().scorer_batch_size,
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nrun {index}/{args.runs}  topics {prefix}*  (load average {load})")
    ensure_topics(settings)
    expected = len(workload.records)
    produce_s = produce(broker.bootstrap, settings, workload.records)
    base = baseline(broker.bootstrap, settings, expected, args.baseline_passes)
    workdir = Path(args.workdir) / f"run{index}"
    workdir.mkdir(parents=True)
    scored = scorer(broker.bootstrap, settings, expected, workdir, args.poll_ms / 1000)
    changelog = read_changelog(broker.bootstrap, prefix)
    null = None
    if args.null_model:
        null_settings = settings.model_copy(update={"topic_prefix": prefix + "null-"})
        ensure_topics(null_settings)
        produce(broker.bootstrap, null_settings, workload.records)
        (workdir / "null").mkdir()
        null = scorer(
            broker.bootstrap, null_settings, expected, workdir / "null", args.poll_ms / 1000,
            NULL_MODEL_WORKER,
        )  # fmt: skip
    result = RunResult(produce_s, base, scored, changelog, null)
    report_run(result, workload, expected)
    # Every generated event is valid and unique, so anything but `scored` is worth a look; the
    # scorer's rate above counts those events too.
    if unscored := {k: v for k, v in scored.outcomes.items() if k != "scored" and v}:
        listed = ", ".join(f"{k}={v:,}" for k, v in sorted(unscored.items()))
        print(f"  WARNING      {sum(unscored.values()):,} events not scored ({listed})")
        for reason, count in dead_letter_reasons(broker.bootstrap, settings).most_common(6):
            print(f"    {count:>8,}  {reason}")
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=200_000, help="events per run")
    parser.add_argument("--accounts", type=int, default=10_000, help="distinct accounts")
    parser.add_argument("--runs", type=int, default=3, help="runs (fresh topics each)")
    parser.add_argument("--days", type=float, default=DAYS, help="event-time span of the events")
    parser.add_argument("--engine", choices=ENGINES, default="tansu", help="local broker")
    parser.add_argument(
        "--baseline-passes", type=int, default=3, help="times the baseline reads the events"
    )
    parser.add_argument("--partitions", type=int, default=4, help="partitions per topic")
    parser.add_argument(
        "--batch-size", type=int, default=0, help="scorer batch size (default: the setting's)"
    )
    parser.add_argument("--poll-ms", type=int, default=100, help="/metrics poll interval")
    parser.add_argument(
        "--null-model",
        action="store_true",
        help="also run the worker with a model that does nothing (bench/null_model.py)",
    )
    parser.add_argument(
        "--workdir", default=None, help="keep broker data and scorer logs here (default: temp)"
    )
    args = parser.parse_args(argv)
    if min(args.events, args.accounts, args.runs, args.partitions, args.baseline_passes) < 1:
        parser.error("counts (--events, --accounts, --runs, --partitions, ...) must be >= 1")
    if not 0 < args.days <= 365:
        parser.error("--days must be more than 0 and at most 365")
    if not 10 <= args.poll_ms <= 1000:
        parser.error("--poll-ms must be between 10 and 1000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    keep = args.workdir is not None
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="healthmon-bench-")
    engine = cast(Engine, args.engine)
    print(
        f"scorer bench: {args.events:,} events, {args.accounts:,} accounts, {args.runs} run(s), "
        f"{args.days:g} days, {engine}, {args.partitions} partitions, {os.cpu_count()} CPUs"
    )
    started = time.perf_counter()
    workload = generate(args.events, args.accounts, args.days)
    mix = ", ".join(f"{t} {n / args.events:.1%}" for t, n in workload.types.most_common())
    print(
        f"workload: generated in {time.perf_counter() - started:.1f} s; "
        f"{workload.accounts_with_events:,} accounts with events; "
        f"mean event {workload.mean_value_bytes:,.0f} bytes\n  mix: {mix}"
    )
    if workload.accounts_with_events < args.accounts:
        have = workload.accounts_with_events
        print(f"  note: only {have:,} accounts get events (fewer events than accounts)")

    def runs(broker: Broker) -> None:
        report_summary([run_once(broker, workload, i, args) for i in range(1, args.runs + 1)])

    return run_on_broker(engine, args.workdir, keep, runs)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
