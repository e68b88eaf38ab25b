"""ConsumerLag: the records a group has yet to read, per partition, as a Prometheus gauge."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client import REGISTRY

from services.kafka.consumer_lag import ConsumerLag
from services.kafka.topics import ensure_topics, topic_names
from services.local.broker import Broker
from services.settings import Settings


def lag(group: str, topic: str, partition: int) -> float | None:
    return REGISTRY.get_sample_value(
        "healthmon_consumer_lag", {"group": group, "topic": topic, "partition": str(partition)}
    )


async def test_the_lag_is_what_the_group_has_not_read_and_goes_when_the_partition_does(
    broker: Broker, topic_prefix: str
) -> None:
    settings = Settings(kafka_bootstrap_servers=broker.bootstrap, topic_prefix=topic_prefix)
    ensure_topics(settings)
    topic = topic_names(settings).usage_events
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
    await producer.start()
    for n in range(5):
        await producer.send_and_wait(topic, b"{}", partition=1, key=f"{n}".encode())
    await producer.stop()
    group = topic_prefix + "lagging"
    consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    gauge = ConsumerLag(group, every_s=0)
    try:
        consumer.assign([TopicPartition(topic, 1)])
        read = 0
        while read < 2:
            got = await consumer.getmany(timeout_ms=2000, max_records=2 - read)
            read += sum(map(len, got.values()))
        await gauge.update(consumer)
        assert lag(group, topic, 1) == 3
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.getmany(timeout_ms=1000)
        await gauge.update(consumer)
        assert lag(group, topic, 1) is None
    finally:
        await consumer.stop()
