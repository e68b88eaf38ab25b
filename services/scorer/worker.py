"""The scorer worker: a Kafka consumer-group member that scores batches and keeps account state.

Per batch: score with the pure model; send the dead letters; store the new state of each account
touched in the changelog, with the changes it made; send the changes and snapshots; store the
states that made changes again without them; commit the input offsets. A crash before the states
are stored leaves nothing sent, and the batch is scored again (events already in a stored state
are skipped as duplicates); a crash after it leaves the changes in the stored states, and whoever
restores them sends them again, unchanged.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError

from schemas import RiskChange
from schemas.codec import encode
from services.kafka import patient_fetch
from services.kafka.batched_sends import BatchedSends
from services.kafka.consumer_lag import ConsumerLag
from services.kafka.messages import Message
from services.kafka.reconnect import keep_running
from services.kafka.topics import topic_names
from services.scorer import metrics
from services.scorer.assignor import CoPartitionedAssignor
from services.scorer.batch import PoisonRecord, score_batch, snapshot_record
from services.scorer.changelog import CHANGELOG, GROUP, encode_state, restore
from services.scorer.model import AccountState, HealthModel, evaluate
from services.scorer.poison import PoisonRecords
from services.scorer.sources import SourceActivity, end_offset_totals
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


class ScorerWorker:
    """Consumes the input topics as one member of the scorer group; state lives in memory."""

    def __init__(self, settings: Settings, model: HealthModel) -> None:
        self.settings, self.model = settings, model
        patient_fetch.install()
        names = topic_names(settings)
        self.topic_kinds = names.input_kinds
        self.changes_topic = names.health_changes
        self.snapshots_topic = names.health_snapshots
        self.dead_letters_topic = names.dead_letters
        self.changelog_topic = settings.topic_prefix + CHANGELOG.name
        self.states: dict[str, AccountState] = {}
        self.partition_of: dict[str, int] = {}
        self.owned: set[int] = set()
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
        self.lag = ConsumerLag(settings.topic_prefix + GROUP)
        self.newest: dict[str, float] = {}
        """The newest event time scored per kind of event (POSIX seconds)."""
        """Outlives the consumer: a record that fails is read again by the next one."""

    async def run(self) -> None:
        """Consume until cancelled, reconnecting (and restoring state) after errors."""
        await keep_running(self._consume, "scorer", self._disconnected)

    def _disconnected(self) -> None:
        self.ready = False

    async def _consume(self) -> None:
        s = self.settings
        self.states.clear()
        self.partition_of.clear()
        self.owned.clear()
        self.assigned = False
        consumer = AIOKafkaConsumer(
            bootstrap_servers=s.bootstrap_list,
            group_id=s.topic_prefix + GROUP,
            group_instance_id=s.scorer_instance_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            rebalance_timeout_ms=int(s.kafka_rebalance_timeout_s * 1000),
            session_timeout_ms=int(max(10.0, s.kafka_rebalance_timeout_s) * 1000),
            heartbeat_interval_ms=1000,
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
        records = [r for r in records if self.assigned and r.partition in self.owned]
        if not records:
            return
        now = datetime.now(UTC)
        try:
            result = score_batch(
                records,
                self.topic_kinds,
                self.states.get,
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
        # Dead letters first: records read again after a crash are skipped as already applied.
        for letter in result.dead_letters:
            key = None if letter.key is None else letter.key.encode()
            await out.send(self.dead_letters_topic, encode(letter), key)
        await out.flush()
        self.partition_of.update(result.partitions)
        touched = list(result.states.items())
        await self._emit(out, result.changes, touched, result.states.values(), now, self.stale)
        last: dict[tuple[str, int], int] = {}
        for r in records:
            last[r.topic, r.partition] = r.offset
        try:
            await consumer.commit({TopicPartition(*tp): offset + 1 for tp, offset in last.items()})
        except CommitFailedError:
            # The group rebalanced while the batch was scored. Its effects are stored, and the
            # stored states hold the offsets they applied: whoever reads these records again
            # (this worker or another) skips them. The consumer rejoins at the next fetch.
            log.warning("the group rebalanced during a batch; its offsets were not committed")
        published = time.time()
        for received in result.received_at:
            metrics.EVENT_TO_CHANGE.observe(published - received)
        for kind, newest in result.newest.items():
            if newest > self.newest.get(kind, 0.0):
                self.newest[kind] = newest
                metrics.NEWEST_EVENT.labels(kind).set(newest)
        for (topic, outcome), count in result.outcomes.items():
            metrics.EVENTS.labels(topic, outcome).inc(count)
        metrics.ACCOUNTS.set(len(self.states))
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)

    async def _emit(
        self,
        out: BatchedSends,
        changes: list[RiskChange],
        touched: list[tuple[str, AccountState]],
        snapshots: Iterable[AccountState],
        now: datetime,
        stale: frozenset[str],
    ) -> None:
        """Store the `touched` states, each with the changes it made; then publish the changes
        and a snapshot of each account in `snapshots`; then store again, without their changes,
        the states that made some.

        A change is published only once a state holding it is stored. A worker that dies before
        that leaves nothing behind: whoever reads the events again decides afresh. One that dies
        after it leaves the change in the stored state, and whoever restores the state sends it
        again, with the same change_id and the same content.
        """
        outbox: dict[str, list[bytes]] = defaultdict(list)
        for change in changes:
            outbox[change.account_id].append(encode(change))
            metrics.CHANGES.labels(change.current.band).inc()
        await self._store(out, touched, outbox)
        await self._send_changes(out, outbox)
        for state in snapshots:
            value = snapshot_record(state, self.model, now, stale)
            await out.send(self.snapshots_topic, value, state.account_id.encode())
        await out.flush()
        await self._store(out, [(a, s) for a, s in touched if a in outbox])

    async def _send_changes(self, out: BatchedSends, outbox: Mapping[str, list[bytes]]) -> None:
        """Queue encoded changes, keyed by account."""
        for account_id, values in outbox.items():
            for value in values:
                await out.send(self.changes_topic, value, account_id.encode())

    async def _store(
        self,
        out: BatchedSends,
        states: Iterable[tuple[str, AccountState]],
        outbox: Mapping[str, list[bytes]] | None = None,
    ) -> None:
        """Keep each state in memory and write it to the changelog on its account's partition,
        with its changes from `outbox` that are not acknowledged yet; wait for the writes."""
        for account_id, state in states:
            self.states[account_id] = state
            partition = self.partition_of[account_id]
            held = outbox.get(account_id, ()) if outbox else ()
            value = encode_state(state, held)
            await out.send(self.changelog_topic, value, account_id.encode(), partition)
        await out.flush()

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
        for count, (account_id, state) in enumerate(list(self.states.items()), 1):
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
        await self._emit(BatchedSends(producer), changes, changed, snapshots, now, stale)

    async def assign(self, partitions: set[int]) -> None:
        """Restore the state of newly owned partitions; forget the state of lost ones."""
        async with self.lock:
            lost, gained = self.owned - partitions, partitions - self.owned
            if lost:
                for account_id in [a for a, p in self.partition_of.items() if p in lost]:
                    self.states.pop(account_id, None)
                    del self.partition_of[account_id]
            if gained:
                started = time.perf_counter()
                restored = await restore(self.settings.bootstrap_list, self.changelog_topic, gained)
                for account_id, stored in restored.items():
                    self.states[account_id] = stored.state
                    self.partition_of[account_id] = stored.partition
                await self._resend({a: s.outbox for a, s in restored.items() if s.outbox})
                log.info(
                    "partitions %s: restored %d accounts in %.1fs",
                    sorted(gained), len(restored), time.perf_counter() - started,
                )  # fmt: skip
            self.owned = set(partitions)
            self.assigned = True
            metrics.ACCOUNTS.set(len(self.states))
            metrics.PARTITIONS.set(len(self.owned))
            self.ready = True

    async def _resend(self, outbox: dict[str, list[bytes]]) -> None:
        """Send the changes restored states still held (their worker may have died before
        sending them), then store the states without them."""
        if not outbox:
            return
        if self.producer is None:
            raise RuntimeError("partitions were assigned before the producer started")
        out = BatchedSends(self.producer)
        await self._send_changes(out, outbox)
        await out.flush()
        await self._store(out, [(account_id, self.states[account_id]) for account_id in outbox])
        log.info("sent %d changes held by restored states", sum(map(len, outbox.values())))


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
