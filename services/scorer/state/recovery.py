"""Restoring the states of newly assigned partitions from the changelog."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.kafka.read import read_to_end
from services.scorer.changelog import Stored, decode_record


async def restore(bootstrap: list[str], topic: str, partitions: Iterable[int]) -> dict[str, Stored]:
    """The latest record of every account on `partitions` of the changelog.

    Reads each partition from the beginning to its end; a tombstone (empty value) removes the
    account.
    """
    wanted = [TopicPartition(topic, p) for p in sorted(set(partitions))]
    if not wanted:
        return {}
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    states: dict[str, Stored] = {}

    def keep(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        for record in records:
            if record.key is None:
                continue
            account_id = record.key.decode()
            if record.value:
                states[account_id] = Stored(record.partition, *decode_record(record.value))
            else:
                states.pop(account_id, None)

    try:
        await reader.start()
        reader.assign(wanted)
        starts = await reader.beginning_offsets(wanted)
        await read_to_end(reader, starts, keep)
        return states
    finally:
        await reader.stop()
