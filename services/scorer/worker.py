"""The scorer worker: a Kafka consumer-group member that scores batches and keeps account state.

Per batch: score with the pure model, then commit it through services/scorer/state: the states
of the owned partitions (partitions.py), their restore when partitions are assigned
(recovery.py) and the commit of a batch (checkpoint.py), whose crash-safety invariants are
stated in services/scorer/state/__init__.py.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener

from schemas import RiskChange
from services.kafka.batched_sends import BatchedSends
from services.kafka.consumer_lag import ConsumerLag
from services.kafka.members import group_member
from services.kafka.messages import Message
from services.kafka.reconnect import Reconnecting
from services.kafka.topics import topic_names
from services.scorer import metrics
from services.scorer.assignor import CoPartitionedAssignor
from services.scorer.batch import PoisonRecord, score_batch
from services.scorer.changelog import CHANGELOG, GROUP
from services.scorer.model import AccountState, HealthModel, evaluate
from services.scorer.poison import PoisonRecords
from services.scorer.sources import SourceActivity, end_offset_totals
from services.scorer.state.checkpoint import Checkpoint, commit_offsets
from services.scorer.state.partitions import PartitionStates
from services.scorer.state.recovery import restore
from services.settings import Settings

log = logging.getLogger(__name__)
YIELD_EVERY = 500
IDLE_POLL_MS = 1000
"""How long an idle worker waits for records before looking at its timers again."""
GC_THRESHOLDS = (20_000, 20, 10)
"""The cyclic garbage collector's thresholds in a worker process. With Python's defaults
(700, 10, 10) it walked the young objects every few hundred events and the whole heap of account
states every few seconds: 15% of the worker's CPU in bench/scorer.py, about 3% with these. The
states hold no reference cycles; they are freed by reference counting either way."""


def tune_gc() -> None:
    """Set GC_THRESHOLDS for this process (a worker process holds many long-lived states)."""
    gc.set_threshold(*GC_THRESHOLDS)


class ScorerWorker(Reconnecting):
    """Consumes the input topics as one member of the scorer group; state lives in memory (a
    new connection restores it)."""

    what = "scorer"

    def __init__(self, settings: Settings, model: HealthModel) -> None:
        self.settings, self.model = settings, model
        names = topic_names(settings)
        self.topic_kinds = names.input_kinds
        self.changes_topic = names.health_changes
        self.snapshots_topic = names.health_snapshots
        self.dead_letters_topic = names.dead_letters
        self.changelog_topic = settings.topic_prefix + CHANGELOG.name
        self.partitions = PartitionStates()
        self.checkpoint = Checkpoint(
            self.partitions,
            model,
            {
                "changes": self.changes_topic,
                "snapshots": self.snapshots_topic,
                "dead_letters": self.dead_letters_topic,
                "changelog": self.changelog_topic,
            },
        )
        self.assigned = False
        """False from the start of a rebalance until the new assignment is restored."""
        self.lock = asyncio.Lock()
        self.ready = False
        self.sources = SourceActivity()
        self.stale: frozenset[str] = frozenset()
        self.next_evaluation = 0.0
        self.producer: AIOKafkaProducer | None = None
        self.takeover_failure: Exception | None = None
        self.poison = PoisonRecords()
        """Outlives the consumer: a record that fails is read again by the next one."""
        self.lag = ConsumerLag(settings.topic_prefix + GROUP)
        self.newest: dict[str, float] = {}
        """The newest event time scored per kind of event (POSIX seconds)."""

    def _disconnected(self) -> None:
        self.ready = False

    async def _consume(self) -> None:
        s = self.settings
        self.partitions.clear()
        self.assigned = False
        consumer = group_member(
            s,
            GROUP,
            group_instance_id=s.scorer_instance_id,
            partition_assignment_strategy=(CoPartitionedAssignor,),
        )
        producer = AIOKafkaProducer(
            bootstrap_servers=s.bootstrap_list, acks="all", linger_ms=5, max_batch_size=256 * 1024
        )
        await producer.start()
        self.producer = producer
        try:
            await consumer.start()
            consumer.subscribe(list(self.topic_kinds), listener=_Rebalance(self))
            await self._loop(consumer, producer)
        finally:
            self.ready = False
            await consumer.stop()
            self.producer = None
            await producer.stop()

    async def _loop(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        busy_ms = int(self.settings.scorer_batch_wait_s * 1000)
        records: list[Message] = []
        while True:
            # getmany answers as soon as records arrive: the wait only bounds an empty poll, so
            # an idle worker can wait long without delaying the first event that comes
            fetched = await consumer.getmany(
                timeout_ms=busy_ms if records else max(busy_ms, IDLE_POLL_MS),
                max_records=self.settings.scorer_batch_size,
            )
            self.raise_takeover_failure()
            records = [r for part in fetched.values() for r in part]
            if records:
                async with self.lock:
                    await self._score(consumer, producer, records)
            await self.lag.update(consumer)
            if time.monotonic() >= self.next_evaluation and self.ready:
                self.next_evaluation = time.monotonic() + self.settings.scorer_evaluate_interval_s
                async with self.lock:
                    await self._reevaluate(consumer, producer)

    def raise_takeover_failure(self) -> None:
        """Raise if restoring newly assigned partitions failed: without their state the worker
        could only sit idle, so it starts over (a new consumer, a new restore) instead."""
        failure, self.takeover_failure = self.takeover_failure, None
        if failure is not None:
            raise RuntimeError("could not take over the assigned partitions") from failure

    async def _score(
        self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, records: list[Message]
    ) -> None:
        started = time.perf_counter()
        # A rebalance may have taken partitions away between the fetch and now; while one is
        # under way nothing is scored (the new owners read those records again).
        records = [r for r in records if self.assigned and r.partition in self.partitions.owned]
        if not records:
            return
        now = datetime.now(UTC)
        try:
            result = score_batch(
                records,
                self.topic_kinds,
                self.partitions.get,
                self.model,
                now,
                self.settings.event_max_future_s,
                self.poison.given_up,
            )
        except PoisonRecord as poison:
            # The batch's states may be half-changed: start over from the stored ones, and skip
            # the record once it has failed often enough.
            metrics.BATCH_FAILURES.inc()
            if self.poison.failed(poison):
                log.error("giving up on a record after repeated failures: %s", poison)
            raise
        out = BatchedSends(producer)
        await self.checkpoint.dead_letters(out, result.dead_letters)
        self.partitions.place(result.partitions)
        touched = list(result.states.items())
        await self.checkpoint.emit(
            out, result.changes, touched, result.states.values(), now, self.stale
        )
        await commit_offsets(consumer, records)
        published = time.time()
        for received in result.received_at:
            metrics.EVENT_TO_CHANGE.observe(published - received)
        for kind, newest in result.newest.items():
            if newest > self.newest.get(kind, 0.0):
                self.newest[kind] = newest
                metrics.NEWEST_EVENT.labels(kind).set(newest)
        for (topic, outcome), count in result.outcomes.items():
            metrics.EVENTS.labels(topic, outcome).inc(count)
        metrics.ACCOUNTS.set(len(self.partitions))
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)

    async def _reevaluate(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        """Silence is not health: re-score accounts that heard nothing, and mark quiet sources."""
        try:
            topic_source = {t: k for t, k in self.topic_kinds.items() if k != "account"}
            totals = await end_offset_totals(consumer, topic_source)
            for topic, total in totals.items():
                self.sources.observe(topic_source[topic], total, time.time())
        except Exception:
            log.exception("could not read the input topics' end offsets")
        max_age = self.model.base.time.source_stale_hours * 3600
        stale = self.sources.stale(time.time(), max_age)
        stale_changed, self.stale = stale != self.stale, stale
        metrics.STALE_SOURCES.set(len(stale))
        now = datetime.now(UTC)
        horizon = now.timestamp() - self.settings.scorer_evaluate_interval_s
        changes: list[RiskChange] = []
        changed: list[tuple[str, AccountState]] = []
        snapshots: list[AccountState] = []
        for count, (account_id, state) in enumerate(list(self.partitions.states.items()), 1):
            if not stale_changed and (state.evaluated_at or 0) > horizon:
                continue
            _, change = evaluate(state, self.model, now, stale)
            if change is not None:
                changes.append(change)
                changed.append((account_id, state))
            if change is not None or stale_changed:
                snapshots.append(state)
            if count % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        await self.checkpoint.emit(BatchedSends(producer), changes, changed, snapshots, now, stale)

    async def assign(self, partitions: set[int]) -> None:
        """Restore the state of newly owned partitions; forget the state of lost ones."""
        async with self.lock:
            owned = self.partitions.owned
            lost, gained = owned - partitions, partitions - owned
            if lost:
                self.partitions.lose(lost)
            if gained:
                started = time.perf_counter()
                restored = await restore(self.settings.bootstrap_list, self.changelog_topic, gained)
                self.partitions.gain(restored)
                await self._resend({a: s.outbox for a, s in restored.items() if s.outbox})
                log.info(
                    "partitions %s: restored %d accounts in %.1fs",
                    sorted(gained), len(restored), time.perf_counter() - started,
                )  # fmt: skip
            self.partitions.owned = set(partitions)
            self.assigned = True
            metrics.ACCOUNTS.set(len(self.partitions))
            metrics.PARTITIONS.set(len(partitions))
            self.ready = True

    async def _resend(self, outbox: dict[str, list[bytes]]) -> None:
        """Send the changes restored states still held (their worker may have died before
        sending them), then store the states without them."""
        if not outbox:
            return
        if self.producer is None:
            raise RuntimeError("partitions were assigned before the producer started")
        await self.checkpoint.resend(BatchedSends(self.producer), outbox)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Waits for the batch in flight before partitions move; restores state for new ones."""

    def __init__(self, worker: ScorerWorker) -> None:
        self.worker = worker

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.worker.lock:  # the batch in flight has stored its state and committed
            self.worker.assigned = False

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        try:
            await self.worker.assign({tp.partition for tp in assigned})
        except Exception as exc:  # aiokafka only logs a listener's failure: keep it for the loop
            self.worker.takeover_failure = exc
