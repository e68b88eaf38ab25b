"""Ingest's Kafka sink against a real broker: acknowledged records can be read back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from kafka import KafkaConsumer

from services.ingest.producer import ProduceError, Record, RecordSink, kafka_sink
from services.kafka.batched_sends import default_partition
from services.kafka.topics import ensure_topics, topic_names
from services.local.broker import Broker
from services.settings import Settings


@pytest.fixture(params=["confluent", "aiokafka"])
async def sink(
    request: pytest.FixtureRequest, broker: Broker, topic_prefix: str
) -> AsyncIterator[tuple[RecordSink, str]]:
    """Ingest's sink with each producer, started, and the usage topic it writes to."""
    settings = Settings(
        kafka_bootstrap_servers=broker.bootstrap,
        topic_prefix=topic_prefix,
        ingest_producer=request.param,
    )
    ensure_topics(settings)
    started = kafka_sink(settings)
    await started.start()
    try:
        yield started, topic_names(settings).usage_events
    finally:
        await started.stop()


async def test_records_are_on_the_topic_once_send_all_returns(
    broker: Broker, sink: tuple[RecordSink, str]
) -> None:
    sink_, topic = sink
    assert await sink_.problem() is None
    await sink_.send_all(
        [Record(topic, f"acct-{i % 3}".encode(), b'{"n":%d}' % i) for i in range(30)]
    )
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    records = list(consumer)
    consumer.close()
    assert len(records) == 30
    by_key: dict[bytes, set[int]] = {}
    for record in records:
        by_key.setdefault(record.key, set()).add(record.partition)
    assert all(len(partitions) == 1 for partitions in by_key.values()), "one account, one partition"
    expected = {key: default_partition(key, 4) for key in by_key}
    assert {key: partitions.pop() for key, partitions in by_key.items()} == expected, "murmur2"


def read_all(bootstrap: str, topic: str) -> list[bytes]:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=5000
    )
    values = [record.value for record in consumer]
    consumer.close()
    return values


async def test_a_record_kafka_refuses_as_too_large_is_named_and_the_others_are_written(
    broker: Broker, sink: tuple[RecordSink, str]
) -> None:
    sink_, topic = sink
    with pytest.raises(ProduceError) as refused:
        await sink_.send_all(
            [Record(topic, b"a", b"small"), Record(topic, b"a", b"x" * 2_000_000),
             Record(topic, b"b", b"after")]
        )  # fmt: skip
    assert refused.value.failed == frozenset({1}) and refused.value.too_large
    assert sorted(read_all(broker.bootstrap, topic)) == [b"after", b"small"]
