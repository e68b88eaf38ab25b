"""The scorer group's partition assignor: partition N of every input topic goes to one worker.

An account's state is built from all four input topics (usage, tickets, payments, account
updates), keyed by account, so partition N of each of them holds the same accounts. aiokafka's
default round-robin assignor lays out every topic-partition in turn: with two workers and four
partitions it happens to keep them together, with three it gives one account's usage to one
worker and its tickets to another, and both then write the account's state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from aiokafka.cluster import ClusterMetadata
from aiokafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from aiokafka.coordinator.protocol import (
    ConsumerProtocolMemberAssignment,
    ConsumerProtocolMemberMetadata,
)

log = logging.getLogger(__name__)


def copartitioned(
    partitions_of: Mapping[str, Iterable[int]], subscriptions: Mapping[str, Iterable[str]]
) -> dict[str, dict[str, list[int]]]:
    """Each member's partitions per topic: partition numbers are dealt out in contiguous ranges
    (members in sorted order, the first ones one more when they do not divide evenly), and a
    member gets its numbers on every topic it subscribes to.

    When members subscribe to different topics (workers of two versions during a rolling
    change), a partition whose number's owner does not read its topic stays unassigned: it waits,
    and is read once the workers agree, rather than splitting its accounts between two writers.
    """
    members = sorted(subscriptions)
    numbers = sorted({p for topic in partitions_of for p in partitions_of[topic]})
    share, extra = divmod(len(numbers), len(members)) if members else (0, 0)
    assignment: dict[str, dict[str, list[int]]] = {}
    start = 0
    for i, member in enumerate(members):
        end = start + share + (1 if i < extra else 0)
        mine = set(numbers[start:end])
        start = end
        assignment[member] = {
            topic: sorted(mine.intersection(partitions_of.get(topic, ())))
            for topic in sorted(set(subscriptions[member]))
        }
    return assignment


class CoPartitionedAssignor(AbstractPartitionAssignor):  # type: ignore[misc]
    """`copartitioned` as a Kafka group assignment protocol."""

    name = "healthmon-copartitioned"
    version = 0

    @classmethod
    def assign(
        cls, cluster: ClusterMetadata, members: Mapping[str, ConsumerProtocolMemberMetadata]
    ) -> dict[str, ConsumerProtocolMemberAssignment]:
        topics = {topic for metadata in members.values() for topic in metadata.subscription}
        partitions_of = {topic: cluster.partitions_for_topic(topic) or set() for topic in topics}
        subscriptions = {member: m.subscription for member, m in members.items()}
        if len({frozenset(topics) for topics in subscriptions.values()}) > 1:
            log.warning("scorer workers subscribe to different topics; some partitions wait")
        return {
            member: ConsumerProtocolMemberAssignment(
                cls.version, [(t, ps) for t, ps in per_topic.items() if ps], b""
            )
            for member, per_topic in copartitioned(partitions_of, subscriptions).items()
        }

    @classmethod
    def metadata(cls, topics: Iterable[str]) -> ConsumerProtocolMemberMetadata:
        return ConsumerProtocolMemberMetadata(cls.version, list(topics), b"")

    @classmethod
    def on_assignment(cls, assignment: ConsumerProtocolMemberAssignment) -> None:
        pass
