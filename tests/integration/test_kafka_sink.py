"""Ingest's Kafka sink against a real broker: acknowledged records can be read back."""

from __future__ import annotations

from kafka import KafkaConsumer

from services.broker import Broker
from services.ingest.producer import KafkaSink, Record
from services.settings import Settings
from services.topics import ensure_topics, topic_names


async def test_records_are_on_the_topic_once_send_all_returns(
    broker: Broker, topic_prefix: str
) -> None:
    settings = Settings(kafka_bootstrap_servers=broker.bootstrap, topic_prefix=topic_prefix)
    ensure_topics(settings)
    topic = topic_names(settings).usage_events
    sink = KafkaSink(settings)
    await sink.start()
    try:
        assert await sink.problem() is None
        await sink.send_all(
            [Record(topic, f"acct-{i % 3}".encode(), b'{"n":%d}' % i) for i in range(30)]
        )
    finally:
        await sink.stop()
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
