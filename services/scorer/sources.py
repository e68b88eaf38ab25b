"""Which input sources have gone quiet: a source whose topics stop growing becomes stale."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition


@dataclass
class SourceActivity:
    """When each source's topic last grew (by wall-clock seconds), from its end offsets."""

    totals: dict[str, int] = field(default_factory=dict)
    changed_at: dict[str, float] = field(default_factory=dict)

    def observe(self, source: str, total: int, now: float) -> None:
        """Record the sum of a source topic's end offsets; the first sighting counts as growth."""
        if self.totals.get(source) != total:
            self.totals[source] = total
            self.changed_at[source] = now

    def stale(self, now: float, max_age_s: float) -> frozenset[str]:
        """Sources that have not grown for longer than `max_age_s`."""
        return frozenset(s for s, at in self.changed_at.items() if now - at > max_age_s)


async def end_offset_totals(consumer: AIOKafkaConsumer, topics: Iterable[str]) -> dict[str, int]:
    """The sum of the end offsets of each topic's partitions."""
    totals = {}
    for topic in topics:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = await consumer.end_offsets(partitions) if partitions else {}
        totals[topic] = sum(ends.values())
    return totals
