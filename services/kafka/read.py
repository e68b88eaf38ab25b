"""Reading partitions from a given offset to their end, as a bounded batch job."""

from __future__ import annotations

from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

FETCH_MS = 500
MAX_RECORDS = 10_000


async def assign_all(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    """Assign every partition of `topics` to `consumer` (no group); return them."""
    await consumer.topics()
    parts = [
        TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())
    ]
    consumer.assign(parts)
    return parts


async def read_to_end(
    consumer: AIOKafkaConsumer,
    starts: dict[TopicPartition, int],
    on_records: Callable[[list[ConsumerRecord[bytes, bytes]]], None],
) -> dict[TopicPartition, int]:
    """Read each partition from its start offset to its end; return the offset each stopped at.

    `consumer` must have the partitions assigned. The end is the high watermark the fetch
    responses report: some local brokers answer ListOffsets with the number of record batches
    instead of the next offset, so that answer only says whether a partition has records.
    """
    reported = await consumer.end_offsets(list(starts))
    pending = {tp for tp in starts if reported[tp] > starts[tp]}
    for tp, offset in starts.items():
        consumer.seek(tp, offset)
    while pending:
        fetched = await consumer.getmany(*pending, timeout_ms=FETCH_MS, max_records=MAX_RECORDS)
        for records in fetched.values():
            on_records(records)
        for tp in list(pending):
            end = max(reported[tp], consumer.highwater(tp) or 0)
            if await consumer.position(tp) >= end:
                pending.discard(tp)
    return {tp: await consumer.position(tp) for tp in starts}
