"""Running scorer workers as real processes against a broker, and reading back what they did."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from kafka import KafkaConsumer, KafkaProducer

from schemas import Event
from schemas.codec import encode
from services.kafka.topics import ensure_topics, topic_names
from services.local.broker import Broker
from services.local.ports import free_port
from services.scorer.changelog import CHANGELOG, Stored, decode_record
from services.settings import Settings


@dataclass
class ScorerCluster:
    """Scorer worker processes sharing one deployment's topics."""

    broker: Broker
    prefix: str
    data_dir: Path
    batch_size: int = 1000
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    started: int = 0

    @property
    def settings(self) -> Settings:
        return Settings(kafka_bootstrap_servers=self.broker.bootstrap, topic_prefix=self.prefix)

    def env(self) -> dict[str, str]:
        """The environment of a healthmon command for this deployment."""
        return os.environ | {
            "HEALTHMON_KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap,
            "HEALTHMON_TOPIC_PREFIX": self.prefix,
        }

    def start_worker(
        self,
        instance_id: str | None = None,
        model_file: Path | None = None,
        evaluate_interval_s: float = 3600,
    ) -> subprocess.Popen[bytes]:
        """Start one more `healthmon scorer` (with a static membership id if given)."""
        n = self.started
        self.started += 1
        env = (
            self.env()
            | {
                "HEALTHMON_DATA_DIR": str(self.data_dir / f"w{n}"),
                "HEALTHMON_SCORER_PORT": str(free_port()),
                "HEALTHMON_KAFKA_REBALANCE_TIMEOUT_S": "3",
                "HEALTHMON_SCORER_BATCH_SIZE": str(self.batch_size),
                "HEALTHMON_SCORER_EVALUATE_INTERVAL_S": str(evaluate_interval_s),
                "HEALTHMON_LOG_LEVEL": "info",
            }
            | ({"HEALTHMON_SCORER_INSTANCE_ID": instance_id} if instance_id else {})
            | ({"HEALTHMON_MODEL_FILE": str(model_file)} if model_file else {})
        )
        log = (self.data_dir / f"scorer-{n}.log").open("ab")
        worker = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "scorer"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(worker)
        return worker

    def kill(self, worker: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no chance to commit, flush or leave the group."""
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    def produce(self, events: list[Event]) -> None:
        """Send events to their kind's topic keyed by account, in the given order."""
        names = topic_names(self.settings)
        producer = KafkaProducer(bootstrap_servers=self.broker.bootstrap, acks="all", linger_ms=5)
        for ev in events:
            producer.send(names.for_kind(ev.kind), key=ev.account_id.encode(), value=encode(ev))
        producer.flush()
        producer.close()

    def changelog(self) -> dict[str, Stored]:
        """The latest changelog record of each account: its partition, state and unsent
        changes."""
        topic = self.prefix + CHANGELOG.name
        consumer = KafkaConsumer(
            topic, bootstrap_servers=self.broker.bootstrap, auto_offset_reset="earliest",
            consumer_timeout_ms=1500,
        )  # fmt: skip
        latest = {
            record.key.decode(): Stored(record.partition, *decode_record(record.value))
            for record in consumer
        }
        consumer.close()
        return latest

    def stop_workers(self) -> None:
        """SIGTERM every worker and wait: they commit and leave the group. Stopped workers are
        forgotten, so that `wait_for` does not take their exit for a crash."""
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self.workers.clear()

    def snapshots(self) -> dict[str, dict[str, Any]]:
        """The latest record per account on health-snapshots."""
        topic = topic_names(self.settings).health_snapshots
        return {s["account_id"]: s for s in self.changes(topic)}

    def changes(self, topic: str | None = None) -> list[dict[str, Any]]:
        """Every record on health-changes (or on `topic`)."""
        consumer = KafkaConsumer(
            topic or topic_names(self.settings).health_changes,
            bootstrap_servers=self.broker.bootstrap,
            auto_offset_reset="earliest", consumer_timeout_ms=1500,
        )  # fmt: skip
        values = [orjson.loads(r.value) for r in consumer]
        consumer.close()
        return values

    def wait_for(
        self, expected_events: dict[str, int], timeout_s: float = 150
    ) -> dict[str, Stored]:
        """Wait until every account's stored state has applied its expected number of events."""
        deadline = time.monotonic() + timeout_s
        latest: dict[str, Stored] = {}
        while time.monotonic() < deadline:
            latest = self.changelog()
            if all(
                a in latest and latest[a].state.events_seen == n for a, n in expected_events.items()
            ):
                return latest
            for worker in self.workers:
                assert worker.poll() in (None, -signal.SIGKILL), self.log_tail()
            time.sleep(0.5)
        seen = {a: r.state.events_seen for a, r in latest.items()}
        raise AssertionError(
            f"timed out: expected {expected_events}, stored {seen}\n{self.log_tail()}"
        )

    def log_tail(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-1500:]
            for p in sorted(self.data_dir.glob("scorer-*.log"))
        )


@contextmanager
def scorer_cluster(
    broker: Broker, prefix: str, data_dir: Path, batch_size: int = 1000
) -> Iterator[ScorerCluster]:
    """Topics for `prefix`, and whatever workers the test starts, stopped afterwards."""
    cluster = ScorerCluster(broker, prefix, data_dir, batch_size)
    ensure_topics(cluster.settings, extra=[CHANGELOG])
    try:
        yield cluster
    finally:
        cluster.stop_workers()
