"""The scorer group's assignor keeps partition N of every input topic on one worker."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from aiokafka.coordinator.protocol import ConsumerProtocolMemberMetadata

from services.scorer.assignor import CoPartitionedAssignor, copartitioned

TOPICS = ("usage-events", "ticket-events", "payment-events", "account-updates")


class Cluster:
    """The one ClusterMetadata method an assignor reads."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.partitions))


def members(
    count: int, topics: Iterable[str] = TOPICS
) -> dict[str, ConsumerProtocolMemberMetadata]:
    return {f"member-{i}": CoPartitionedAssignor.metadata(list(topics)) for i in range(count)}


def numbers_by_member(assignment: dict[str, object]) -> dict[str, list[set[int]]]:
    """Per member, the set of partition numbers it got on each topic."""
    return {
        member: [set(ps) for _, ps in a.assignment]  # type: ignore[attr-defined]
        for member, a in assignment.items()
    }


@pytest.mark.parametrize("workers", [1, 2, 3, 4, 5, 7])
@pytest.mark.parametrize("partitions", [1, 4, 6, 12])
def test_every_worker_gets_the_same_numbers_on_every_topic(workers: int, partitions: int) -> None:
    assignment = CoPartitionedAssignor.assign(Cluster(partitions), members(workers))
    owned: list[int] = []
    for member, per_topic in numbers_by_member(assignment).items():
        if per_topic:
            assert len(per_topic) == len(TOPICS), member
            assert all(numbers == per_topic[0] for numbers in per_topic), member
            owned += per_topic[0]
    assert sorted(owned) == list(range(partitions))  # each number to exactly one worker
    counts = [len(p[0]) if p else 0 for p in numbers_by_member(assignment).values()]
    assert max(counts) - min(counts) <= 1


def test_the_default_round_robin_splits_an_account_across_three_workers() -> None:
    """Why the worker does not use aiokafka's default."""
    assignment = RoundRobinPartitionAssignor.assign(Cluster(4), members(3))
    split = [
        m
        for m, per_topic in numbers_by_member(assignment).items()
        if len(set(map(frozenset, per_topic))) > 1
    ]
    assert split


def test_numbers_are_dealt_in_contiguous_ranges_by_member_id() -> None:
    subscriptions = {"b": ["t1", "t2"], "a": ["t1", "t2"], "c": ["t2", "t1"]}
    got = copartitioned({"t1": range(4), "t2": range(4)}, subscriptions)
    assert got == {
        "a": {"t1": [0, 1], "t2": [0, 1]},
        "b": {"t1": [2], "t2": [2]},
        "c": {"t1": [3], "t2": [3]},
    }


def test_a_partition_whose_owner_does_not_read_its_topic_waits() -> None:
    """Workers of two versions: t2 partition 0 is left for later, not given to another writer."""
    got = copartitioned({"t1": range(2), "t2": range(2)}, {"a": ["t1"], "b": ["t1", "t2"]})
    assert got == {"a": {"t1": [0]}, "b": {"t1": [1], "t2": [1]}}


def test_more_workers_than_partitions_leaves_some_idle() -> None:
    assignment = CoPartitionedAssignor.assign(Cluster(2), members(3))
    assert sorted(len(a.assignment) for a in assignment.values()) == [0, 4, 4]
