"""What a local broker keeps of the records it acknowledged when it is stopped under load.

What it does, per run, on a fresh local broker (``services.local.broker``) on 127.0.0.1:

1. Creates a topic of ``--partitions`` (1) partitions and starts a confluent-kafka producer with
   ``acks=all`` (as ingest produces) sending numbered records as fast as it can; every delivery
   report without an error is an acknowledged record, remembered with its partition and offset.
2. After ``--load-s`` (2) seconds of load, signals the broker's process group with SIGTERM or
   SIGKILL while the producer keeps sending, and waits for it to exit (up to 30 s after SIGTERM),
   noting how long that took.
3. Stops the producer (records not acknowledged by then are not counted), starts the broker again
   on the same data directory, reads the topic from the beginning and counts:
   ``lost``: acknowledged records that are not there; ``reused``: acknowledged offsets that now
   hold another record; ``unacked kept``: records written without an acknowledgement reaching the
   producer (the outcome a client sees as an error, e.g. a 503 from ingest).

Tansu keeps records in memory only, so a restart loses everything; it is measured for SIGTERM
only, to show that. Usage:
``python bench/broker_durability.py [--engine noida|tansu] [--signal TERM|KILL] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import KafkaError, Message, Producer
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from services.local.broker import ENGINES, Broker, Engine, start_broker
from services.local.ports import free_port

TOPIC = "durability"


@dataclass
class Outcome:
    """What one stop did to the acknowledged records."""

    engine: str
    signal: str
    acknowledged: int
    lost: int
    reused: int
    unacked_kept: int
    exit_s: float


class LoadProducer:
    """Sends numbered records until stopped; remembers which ones were acknowledged where."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "acks": "all",
                "linger.ms": 2,
                "message.timeout.ms": 5000,
                "enable.idempotence": False,
            }
        )
        self.acked: dict[int, tuple[int, int]] = {}
        self.sent = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _report(self, err: KafkaError | None, msg: Message) -> None:
        if err is None:
            self.acked[int(msg.value() or b"0")] = (msg.partition() or 0, msg.offset() or 0)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.producer.produce(TOPIC, str(self.sent).encode(), on_delivery=self._report)
                self.sent += 1
            except BufferError:
                self.producer.poll(0.01)
            self.producer.poll(0)
        self.producer.flush(6)

    def start(self) -> None:
        """Start sending in a thread."""
        self.thread.start()

    def stop(self) -> dict[int, tuple[int, int]]:
        """Stop sending, wait for outstanding reports (or their timeout); the acknowledged."""
        self.stopping.set()
        self.thread.join()
        return dict(self.acked)


def stored(bootstrap: str, partitions: int) -> dict[tuple[int, int], int]:
    """Every record of the topic: (partition, offset) -> the record's number."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    parts = [TopicPartition(TOPIC, p) for p in range(partitions)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    ends = consumer.end_offsets(parts)
    found: dict[tuple[int, int], int] = {}
    while any(consumer.position(p) < ends[p] for p in parts):
        for batch in consumer.poll(timeout_ms=1000, max_records=100_000).values():
            found.update({(r.partition, r.offset): int(r.value) for r in batch})
    consumer.close()
    return found


def stop_with(broker: Broker, signum: int) -> float:
    """Signal the broker's process group; seconds until it exited."""
    began = time.monotonic()
    os.killpg(broker.process.pid, signum)
    try:
        broker.process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(broker.process.pid, signal.SIGKILL)
        broker.process.wait()
    return time.monotonic() - began


def run_once(
    engine: Engine,
    signum: int,
    workdir: Path,
    load_s: float,
    partitions: int,
    idle_s: float | None = None,
) -> Outcome:
    """One broker, load, one signal, one restart."""
    port = free_port()
    data_dir = workdir / f"{engine}-{signum}-{time.monotonic_ns()}"
    broker = start_broker(engine, port, data_dir)
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic(TOPIC, partitions, 1)])
    admin.close()
    time.sleep(1)
    load = LoadProducer(broker.bootstrap)
    load.start()
    time.sleep(load_s)
    if idle_s is not None:
        acked = load.stop()
        time.sleep(idle_s)
    exit_s = stop_with(broker, signum)
    broker.stop()
    if idle_s is None:
        acked = load.stop()
    restarted = start_broker(engine, port, data_dir)
    try:
        found = stored(restarted.bootstrap, partitions)
    finally:
        restarted.stop()
    present = set(found.values())
    lost = sum(1 for n in acked if n not in present)
    reused = sum(1 for n, at in acked.items() if at in found and found[at] != n)
    unacked_kept = len(present - acked.keys())
    name = signal.Signals(signum).name
    return Outcome(engine, name, len(acked), lost, reused, unacked_kept, exit_s)


def main(argv: Sequence[str] | None = None) -> int:
    """Run and print one line per run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--engine", choices=ENGINES, default="noida")
    parser.add_argument("--signal", choices=("TERM", "INT", "KILL"), default="TERM")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--load-s", type=float, default=2.0)
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument(
        "--idle-s",
        type=float,
        default=None,
        help="stop the producer and wait this long before the signal (default: signal under load)",
    )
    args = parser.parse_args(argv)
    signum = signal.Signals["SIG" + args.signal]
    print("engine signal acknowledged lost reused unacked_kept exit_s")
    with tempfile.TemporaryDirectory(prefix="durability-") as workdir:
        for _ in range(args.runs):
            o = run_once(
                args.engine, signum, Path(workdir), args.load_s, args.partitions, args.idle_s
            )
            print(
                f"{o.engine} {o.signal} {o.acknowledged} {o.lost} {o.reused} {o.unacked_kept} "
                f"{o.exit_s:.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
