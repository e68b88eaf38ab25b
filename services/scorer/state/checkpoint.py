"""The commit of a batch: states stored with their changes, changes and snapshots sent, states
stored again without them, input offsets committed (the invariants: services/scorer/state)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError

from schemas import DeadLetter, RiskChange
from schemas.codec import encode
from services.kafka.batched_sends import BatchedSends
from services.kafka.messages import Message
from services.scorer import metrics
from services.scorer.batch import snapshot_record
from services.scorer.changelog import encode_state
from services.scorer.model import AccountState, HealthModel
from services.scorer.state.partitions import PartitionStates

log = logging.getLogger(__name__)


class Checkpoint:
    """Writes a batch's effects in the order that keeps a crash safe; each write goes through
    the BatchedSends `out` of its batch (a failed batch's leftovers die with it)."""

    def __init__(
        self, partitions: PartitionStates, model: HealthModel, topics: Mapping[str, str]
    ) -> None:
        self.partitions, self.model = partitions, model
        self.changes_topic = topics["changes"]
        self.snapshots_topic = topics["snapshots"]
        self.dead_letters_topic = topics["dead_letters"]
        self.changelog_topic = topics["changelog"]

    async def dead_letters(self, out: BatchedSends, letters: Iterable[DeadLetter]) -> None:
        """Send the batch's dead letters first and wait for them (invariant 4)."""
        for letter in letters:
            key = None if letter.key is None else letter.key.encode()
            await out.send(self.dead_letters_topic, encode(letter), key)
        await out.flush()

    async def emit(
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
        the states that made some (invariants 1 and 2)."""
        outbox: dict[str, list[bytes]] = defaultdict(list)
        for change in changes:
            outbox[change.account_id].append(encode(change))
            metrics.CHANGES.labels(change.current.band).inc()
        await self.store(out, touched, outbox)
        await self.send_changes(out, outbox)
        for state in snapshots:
            value = snapshot_record(state, self.model, now, stale)
            await out.send(self.snapshots_topic, value, state.account_id.encode())
        await out.flush()
        await self.store(out, [(a, s) for a, s in touched if a in outbox])

    async def send_changes(self, out: BatchedSends, outbox: Mapping[str, list[bytes]]) -> None:
        """Queue encoded changes, keyed by account."""
        for account_id, values in outbox.items():
            for value in values:
                await out.send(self.changes_topic, value, account_id.encode())

    async def store(
        self,
        out: BatchedSends,
        states: Iterable[tuple[str, AccountState]],
        outbox: Mapping[str, list[bytes]] | None = None,
    ) -> None:
        """Keep each state in memory and write it to the changelog on its account's partition,
        with its changes from `outbox` that are not acknowledged yet; wait for the writes."""
        for account_id, state in states:
            partition = self.partitions.put(account_id, state)
            held = outbox.get(account_id, ()) if outbox else ()
            value = encode_state(state, held)
            await out.send(self.changelog_topic, value, account_id.encode(), partition)
        await out.flush()

    async def resend(self, out: BatchedSends, outbox: dict[str, list[bytes]]) -> None:
        """Send the changes restored states still held (their worker may have died before
        sending them), then store the states without them (invariant 2)."""
        if not outbox:
            return
        await self.send_changes(out, outbox)
        await out.flush()
        states = self.partitions.states
        await self.store(out, [(account_id, states[account_id]) for account_id in outbox])
        log.info("sent %d changes held by restored states", sum(map(len, outbox.values())))


async def commit_offsets(consumer: AIOKafkaConsumer, records: list[Message]) -> None:
    """Commit the input offsets past `records`, once their effects are stored (invariant 3)."""
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
