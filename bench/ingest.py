"""Throughput of one ingest process, against bare Kafka producers sending the same events.

What it does, on a local Kafka-protocol broker (``services.local.broker``) on 127.0.0.1:

1. Takes ``--events`` valid events from the shared workload (``bench/workload.py``), as a client
   would send them (no ``received_at``), pre-encoded: batch bodies of ``--batch`` (500) events,
   and single-event bodies. Per run, fresh topics.
2. **bare producers**: each library sends the same events, already in their final topic form, to
   the input topics keyed by account_id, acks=all, and waits for every acknowledgement:
   aiokafka, kafka-python and confluent-kafka.
3. **ingest, batch endpoint**: one ``healthmon ingest`` process; ``--concurrency`` (4)
   connections post the batch bodies to ``POST /v1/events/batch`` until every event is accepted
   (each answer is checked). Rate = events / wall time of the posting.
4. **ingest, single endpoint**: ``--single`` (5,000) events posted one per request to
   ``POST /v1/events`` over ``--single-concurrency`` (16) connections; rate and p50/p99 latency.
5. Steps 3 and 4 run once per producer ingest can use (``HEALTHMON_INGEST_PRODUCER``:
   confluent-kafka, aiokafka), and once against an ingest app whose record sink discards records
   (``--serve-discard``, its own process): the ceiling of the HTTP, validation and encoding path,
   so the share of time producing takes is visible.

Each run prints the rates (events/s) and ``ratio`` = ingest batch rate / the same library's bare
producer rate; the last block prints the medians over the runs. The load generator is a minimal
keep-alive HTTP/1.1 client over asyncio streams (httpx took more CPU per request than ingest). It
runs on the same machine and takes CPU from ingest and the broker, so the rates are lower bounds;
compare ratios across machines.

Usage: ``python bench/ingest.py [--events N] [--runs R] [--engine noida|tansu]`` (``--help``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
from aiokafka import AIOKafkaProducer
from kafka import KafkaProducer
from workload import BenchError, Record, generate, run_on_broker

from services.ingest.producer import Record as SinkRecord
from services.kafka.topics import ensure_topics, topic_names
from services.local.broker import ENGINES, Broker
from services.local.ports import free_port
from services.settings import Settings

HOST = "127.0.0.1"
KEY = "bench-key"
STARTUP_TIMEOUT_S = 60.0
ACCOUNTS = 5_000


# --------------------------------------------------------------------------- workload


@dataclass(frozen=True)
class Bodies:
    """What the clients send: batch request bodies and single-event bodies."""

    batches: list[tuple[int, bytes]]
    singles: list[bytes]


def client_event(record: Record) -> dict[str, Any]:
    """The event as a client sends it: ingest sets received_at."""
    event = orjson.loads(record.value)
    del event["received_at"]
    return cast(dict[str, Any], event)


def bodies(records: Sequence[Record], batch: int, singles: int) -> Bodies:
    """Pre-encoded request bodies; event ids stay unique across the two loads."""
    events = [client_event(r) for r in records]
    batches = [
        (len(chunk), orjson.dumps({"events": chunk}))
        for chunk in (events[i : i + batch] for i in range(0, len(events), batch))
    ]
    return Bodies(batches, [orjson.dumps(e) for e in events[:singles]])


# --------------------------------------------------------------------------- bare producers


async def _aiokafka(bootstrap: str, records: list[tuple[str, bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=2, max_batch_size=256 * 1024
    )
    await producer.start()
    try:
        futures = [await producer.send(t, v, key=k) for t, k, v in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def bare_aiokafka(bootstrap: str, records: list[tuple[str, bytes, bytes]]) -> None:
    asyncio.run(_aiokafka(bootstrap, records))


def bare_kafka_python(bootstrap: str, records: list[tuple[str, bytes, bytes]]) -> None:
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=2, batch_size=256 * 1024
    )
    try:
        futures = [producer.send(t, v, key=k) for t, k, v in records]
        producer.flush()
        for future in futures:
            future.get(timeout=30)
    finally:
        producer.close()


def bare_confluent(bootstrap: str, records: list[tuple[str, bytes, bytes]]) -> None:
    from confluent_kafka import Producer

    producer = Producer(
        {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 2, "enable.idempotence": False}
    )
    failed: list[Any] = []

    def report(error: Any, _message: Any) -> None:
        if error is not None:
            failed.append(error)

    for t, k, v in records:
        while True:
            try:
                producer.produce(t, v, k, on_delivery=report)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    if producer.flush(60) or failed:
        raise BenchError(f"confluent-kafka: {len(failed)} failed sends, e.g. {failed[:1]}")


def producers() -> dict[str, Callable[[str, list[tuple[str, bytes, bytes]]], None]]:
    found = {"aiokafka": bare_aiokafka, "kafka-python": bare_kafka_python}
    found["confluent-kafka"] = bare_confluent
    return found


def bare(
    name: str,
    send: Callable[[str, list[tuple[str, bytes, bytes]]], None],
    bootstrap: str,
    settings: Settings,
    records: list[Record],
) -> float:
    """Events/s of one bare producer over the events in their topic form."""
    names = topic_names(settings)
    messages = [(names.for_kind(r.kind), r.key, r.value) for r in records]
    started = time.perf_counter()
    send(bootstrap, messages)
    rate = len(messages) / (time.perf_counter() - started)
    print(f"  bare {name:<16} {rate:>10,.0f} events/s")
    return rate


# --------------------------------------------------------------------------- ingest


class DiscardSink:
    """A record sink that accepts everything at once and keeps nothing."""

    async def send_all(self, records: Sequence[SinkRecord]) -> None:
        return None

    async def problem(self) -> str | None:
        return None


def serve_discard(port: int) -> None:
    """Run ingest with the discarding sink (a child process of the bench)."""
    import uvicorn

    from services.ingest.app import create_app

    settings = Settings()
    app = create_app(settings, sink=DiscardSink())
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def ingest_process(settings: Settings, workdir: Path, producer: str) -> Any:
    """An ingest process on a free port producing with `producer` (or discarding records when it
    is `none`); yields its base URL."""
    discard = producer == "none"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHMON_")} | {
        "HEALTHMON_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "HEALTHMON_TOPIC_PREFIX": settings.topic_prefix,
        "HEALTHMON_DATA_DIR": str(workdir),
        "HEALTHMON_API_KEYS": KEY,
        "HEALTHMON_RATE_LIMIT_PER_S": "0",
        "HEALTHMON_MAX_BODY_BYTES": str(8 * 1024 * 1024),
        "HEALTHMON_LOG_LEVEL": "warning",
        "HEALTHMON_INGEST_PRODUCER": "aiokafka" if discard else producer,
    }
    command = (
        [sys.executable, __file__, "--serve-discard", str(port)]
        if discard
        else [sys.executable, "-m", "services.cli", "ingest", "--port", str(port)]
    )
    log = (workdir / f"ingest-{producer}.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise BenchError(f"ingest exited with {process.returncode}; see {log.name}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise BenchError(f"ingest not ready within {STARTUP_TIMEOUT_S:.0f} s")
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


class Connection:
    """A keep-alive HTTP/1.1 connection sending pre-built requests: a load generator light
    enough not to be the bottleneck (httpx took more CPU per request than ingest itself)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, url: str) -> Connection:
        parsed = httpx.URL(url)
        return cls(*await asyncio.open_connection(parsed.host, parsed.port))

    async def post(self, request: bytes) -> tuple[int, bytes]:
        """Send a whole request; the status and body of the answer."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


def request_bytes(url: str, path: str, body: bytes) -> bytes:
    host = httpx.URL(url).netloc.decode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _post_all(
    url: str, path: str, items: list[tuple[int, bytes]], concurrency: int
) -> tuple[float, list[float]]:
    """Post every body over `concurrency` connections; wall seconds and per-request latencies."""
    queue = [(n, request_bytes(url, path, body)) for n, body in reversed(items)]
    latencies: list[float] = []

    async def worker() -> None:
        connection = await Connection.open(url)
        try:
            while queue:
                expected, request = queue.pop()
                sent = time.perf_counter()
                status, body = await connection.post(request)
                latencies.append(time.perf_counter() - sent)
                if status not in (200, 202):
                    raise BenchError(f"{path} answered {status}: {body[:300]!r}")
                if path.endswith("batch") and orjson.loads(body)["accepted"] != expected:
                    raise BenchError(f"{path}: not every event accepted: {body[:300]!r}")
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


@dataclass(frozen=True)
class IngestRate:
    batch: float
    single: float
    p50_ms: float
    p99_ms: float


def measure_ingest(url: str, load: Bodies, args: argparse.Namespace, label: str) -> IngestRate:
    events = sum(n for n, _ in load.batches)
    batch_s, _ = asyncio.run(_post_all(url, "/v1/events/batch", load.batches, args.concurrency))
    singles = [(1, body) for body in load.singles]
    single_s, latencies = asyncio.run(
        _post_all(url, "/v1/events", singles, args.single_concurrency)
    )
    latencies.sort()
    result = IngestRate(
        batch=events / batch_s,
        single=len(singles) / single_s,
        p50_ms=1000 * latencies[len(latencies) // 2],
        p99_ms=1000 * latencies[int(len(latencies) * 0.99)],
    )
    print(
        f"  {label:<21} batch {result.batch:>8,.0f} events/s   single {result.single:>7,.0f}"
        f" events/s  p50 {result.p50_ms:.1f} ms  p99 {result.p99_ms:.1f} ms"
    )
    return result


# --------------------------------------------------------------------------- runs


INGEST_PRODUCERS = {"confluent": "confluent-kafka", "aiokafka": "aiokafka", "none": "no Kafka"}
"""HEALTHMON_INGEST_PRODUCER values measured, and the bare producer each compares with."""


@dataclass(frozen=True)
class RunResult:
    bare: dict[str, float]
    ingest: dict[str, IngestRate]


def run_once(
    broker: Broker, records: list[Record], load: Bodies, index: int, args: argparse.Namespace
) -> RunResult:
    prefix = f"bench-{uuid.uuid4().hex[:8]}-r{index}-"
    settings = Settings(
        kafka_bootstrap_servers=broker.bootstrap, topic_prefix=prefix, topic_partitions=4
    )
    load_avg = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nrun {index}/{args.runs}  topics {prefix}*  (load average {load_avg})")
    ensure_topics(settings)
    rates = {
        name: bare(name, send, broker.bootstrap, settings, records)
        for name, send in producers().items()
    }
    workdir = Path(args.workdir) / f"run{index}"
    workdir.mkdir(parents=True)
    ingest: dict[str, IngestRate] = {}
    for producer, label in INGEST_PRODUCERS.items():
        if producer != "none" and label not in rates:
            continue
        with ingest_process(settings, workdir, producer) as url:
            ingest[producer] = measure_ingest(url, load, args, f"ingest ({label})")
        if producer != "none":
            print(f"  ratio batch / bare {label}  {ingest[producer].batch / rates[label]:.3f}")
    return RunResult(rates, ingest)


def report_summary(results: list[RunResult]) -> None:
    def med(values: list[float]) -> float:
        return statistics.median(values)

    print(f"\nmedians over {len(results)} run(s)")
    for name in results[0].bare:
        print(f"  bare {name:<22} {med([r.bare[name] for r in results]):>10,.0f} events/s")
    for producer in results[0].ingest:
        label = INGEST_PRODUCERS[producer]
        rates = [r.ingest[producer] for r in results]
        p50, p99 = med([r.p50_ms for r in rates]), med([r.p99_ms for r in rates])
        print(
            f"  ingest ({label}): batch {med([r.batch for r in rates]):>8,.0f} events/s, single "
            f"{med([r.single for r in rates]):>6,.0f} events/s (p50 {p50:.1f} ms, p99 {p99:.1f} ms)"
        )
        if producer != "none":
            ratio = med([r.ingest[producer].batch / r.bare[label] for r in results])
            print(f"    ratio batch / bare {label}  {ratio:.3f}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=100_000, help="events per run")
    parser.add_argument("--batch", type=int, default=500, help="events per batch request")
    parser.add_argument("--single", type=int, default=5_000, help="events sent one by one")
    parser.add_argument("--concurrency", type=int, default=4, help="batch clients")
    parser.add_argument("--single-concurrency", type=int, default=16, help="single clients")
    parser.add_argument("--runs", type=int, default=3, help="runs (fresh topics each)")
    parser.add_argument("--engine", choices=ENGINES, default="tansu", help="local broker")
    parser.add_argument("--workdir", default=None, help="keep logs here (default: temp)")
    parser.add_argument("--serve-discard", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.events, args.batch, args.single, args.concurrency, args.runs) < 1:
        parser.error("counts must be >= 1")
    if args.single > args.events:
        parser.error("--single must be at most --events")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_discard:
        serve_discard(args.serve_discard)
        return 0
    keep = args.workdir is not None
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="healthmon-bench-")
    print(
        f"ingest bench: {args.events:,} events in batches of {args.batch}, {args.single:,} single, "
        f"{args.runs} run(s), {args.engine}, {os.cpu_count()} CPUs"
    )
    records = generate(args.events, ACCOUNTS).records
    load = bodies(records, args.batch, args.single)

    def runs(broker: Broker) -> None:
        report_summary([run_once(broker, records, load, i, args) for i in range(1, args.runs + 1)])

    return run_on_broker(args.engine, args.workdir, keep, runs)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
