"""Consumer lag per partition, as a Prometheus gauge, for any aiokafka consumer group."""

from __future__ import annotations

import time

from aiokafka import AIOKafkaConsumer
from prometheus_client import Gauge

LAG = Gauge(
    "healthmon_consumer_lag",
    "Records on a partition not yet consumed by the group (highwater minus position)",
    ["group", "topic", "partition"],
)


class ConsumerLag:
    """Keeps LAG current for the partitions a consumer holds, at most once per `every_s`."""

    def __init__(self, group: str, every_s: float = 1.0) -> None:
        self.group, self.every_s = group, every_s
        self.next_at = 0.0
        self.reported: set[tuple[str, str]] = set()

    async def update(self, consumer: AIOKafkaConsumer) -> None:
        """Set the lag of every assigned partition whose highwater is known; drop the others."""
        if time.monotonic() < self.next_at:
            return
        self.next_at = time.monotonic() + self.every_s
        current: set[tuple[str, str]] = set()
        for tp in consumer.assignment():
            try:
                highwater = consumer.highwater(tp)
                if highwater is None:
                    continue
                position = await consumer.position(tp)
            except Exception:  # the assignment moved meanwhile: the next update has it
                continue
            labels = (tp.topic, str(tp.partition))
            LAG.labels(self.group, *labels).set(max(0, highwater - position))
            current.add(labels)
        for labels in self.reported - current:
            LAG.remove(self.group, *labels)
        self.reported = current
