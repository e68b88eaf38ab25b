"""Streaming through the real broker gives what folding the pure model gives.

Hypothesis draws histories of a few accounts; the scorer processes them as real worker processes
under duplicates, reordering within the lateness bound, different batch sizes, SIGKILLs and two
workers, and the stored state of every account must equal a plain fold of the same events.
Event times span less than the lateness bound, because the scorer reads the three event topics
at independent speeds.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from kafka.partitioner import murmur2

from schemas import Event
from services.local.broker import Broker
from services.scorer.changelog import Stored
from services.scorer.model import AccountState
from tests.support.events import T0, event
from tests.support.model import fold_all
from tests.support.scorer_process import ScorerCluster, scorer_cluster

TEMPLATES: list[tuple[str, str, dict[str, Any]]] = [
    ("usage", "active", {"user_id": "u1"}),
    ("usage", "active", {"user_id": "u2"}),
    ("usage", "feature_used", {"user_id": "u1", "feature": "reports"}),
    ("usage", "nps_response", {"score": 3}),
    ("ticket", "ticket_opened", {"ticket_id": "t1", "priority": "urgent"}),
    ("ticket", "ticket_closed", {"ticket_id": "t1"}),
    ("ticket", "ticket_escalated", {"ticket_id": "t1"}),
    ("ticket", "csat_rating", {"score": 2}),
    ("payment", "payment_failed", {"invoice_id": "in1"}),
    ("payment", "invoice_paid", {"invoice_id": "in1"}),
    ("payment", "dispute_opened", {"dispute_id": "d1"}),
    ("payment", "subscription_canceled", {}),
]
# Each example runs real worker processes: few examples, and no shrinking (the failing example
# is reported as drawn).
RUN = settings(
    max_examples=2, deadline=None, suppress_health_check=list(HealthCheck), database=None,
    phases=(Phase.generate,),
)  # fmt: skip


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[Event], list[Event]]:
    """(distinct events, the stream as sent: shuffled within 6 days and with repeats)."""
    events = []
    for a in range(draw(st.integers(2, 4))):
        for _ in range(draw(st.integers(3, 18))):
            kind, type_, props = draw(st.sampled_from(TEMPLATES))
            hours = draw(st.integers(0, 6 * 24))
            events.append(
                event(kind, type_, account=f"acct-{a}", at=T0 + timedelta(hours=hours), **props)
            )
    repeats = draw(st.lists(st.sampled_from(events), max_size=8))
    jitter = {ev.event_id: draw(st.integers(0, 6 * 24)) for ev in events}
    sent = sorted(
        events + repeats, key=lambda e: e.occurred_at + timedelta(hours=jitter[e.event_id])
    )
    return events, sent


def expected_states(events: list[Event]) -> dict[str, AccountState]:
    by_account: dict[str, list[Event]] = defaultdict(list)
    for ev in sorted(events, key=lambda e: e.occurred_at):
        by_account[ev.account_id].append(ev)
    return {a: fold_all(evs, account=a)[0] for a, evs in by_account.items()}


def check(cluster: ScorerCluster, events: list[Event], timeout_s: float = 150) -> None:
    """Stored aggregates equal the fold; change ids are contiguous, each with one content;
    partitions line up."""
    expected = expected_states(events)
    stored = cluster.wait_for({a: s.events_seen for a, s in expected.items()}, timeout_s)
    partitions = cluster.settings.topic_partitions
    for account, state in expected.items():
        got = stored[account].state
        assert got.aggregates() == state.aggregates(), account
        # the state sits on the same partition number as the account's input events
        assert stored[account].partition == (murmur2(account.encode()) & 0x7FFFFFFF) % partitions
    # A worker evaluates the accounts it restores at once, so a change may be published after
    # the states above were read; its state is stored right after it: read both until they meet.
    deadline = time.monotonic() + 30
    while True:
        seqs: dict[str, set[int]] = defaultdict(set)
        content: dict[str, dict[str, Any]] = {}
        for change in cluster.changes():
            seqs[change["account_id"]].add(change["seq"])
            assert change["change_id"] == f"{change['account_id']}:{change['seq']}"
            # sent again after a crash, a change is the same change, not one decided anew
            assert content.setdefault(change["change_id"], change) == change
        stored = cluster.changelog()
        if all(settled(seqs[a], r) for a, r in stored.items()) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for account, record in stored.items():
        assert seqs[account] == set(range(1, record.state.seq + 1)), account
        assert record.outbox == [], account  # every change it made was sent


def settled(published: set[int], record: Stored) -> bool:
    """Whether the changes published for an account are exactly those its stored state made."""
    return published == set(range(1, record.state.seq + 1)) and not record.outbox


def count_by_account(events: list[Event]) -> Counter[str]:
    return Counter(e.account_id for e in events)


@RUN
@given(stream=streams(), batch_size=st.sampled_from([1, 7, 1000]))
def test_one_worker_equals_the_fold(
    broker: Broker, tmp_path_factory: Any, stream: tuple[list[Event], list[Event]], batch_size: int
) -> None:
    events, sent = stream
    data_dir: Path = tmp_path_factory.mktemp("one")
    with scorer_cluster(broker, f"p1-{data_dir.name}-", data_dir, batch_size) as cluster:
        cluster.start_worker()
        cluster.produce(sent)
        check(cluster, events)


@RUN
@given(stream=streams(), kills=st.lists(st.floats(0.5, 8.0), min_size=1, max_size=3))
def test_sigkilled_workers_leave_the_same_state(
    broker: Broker,
    tmp_path_factory: Any,
    stream: tuple[list[Event], list[Event]],
    kills: list[float],
) -> None:
    """Workers SIGKILLed at drawn moments after their start (while joining, restoring, scoring
    or idle), any number of times; a last worker finishes the job."""
    events, sent = stream
    data_dir: Path = tmp_path_factory.mktemp("kill")
    with scorer_cluster(broker, f"p2-{data_dir.name}-", data_dir, batch_size=3) as cluster:
        cluster.produce(sent[: len(sent) // 2])
        for n, delay in enumerate(kills):
            if n == 1:
                cluster.produce(sent[len(sent) // 2 :])
            worker = cluster.start_worker(instance_id="scorer-a")
            time.sleep(delay)
            cluster.kill(worker)
        if len(kills) == 1:
            cluster.produce(sent[len(sent) // 2 :])
        cluster.start_worker(instance_id="scorer-a")
        check(cluster, events, timeout_s=90)


@pytest.mark.parametrize("workers", [2, 3])
@RUN
@given(stream=streams())
def test_workers_share_the_partitions_and_agree(
    broker: Broker, tmp_path_factory: Any, stream: tuple[list[Event], list[Event]], workers: int
) -> None:
    """Three workers cannot split four partitions evenly: only a co-partitioned assignment keeps
    each account on one of them. The workers have static ids, as docs/operations.md advises:
    noida, with dynamic members, can keep a group waiting for a leader that has left."""
    events, sent = stream
    data_dir: Path = tmp_path_factory.mktemp(f"w{workers}-")
    with scorer_cluster(broker, f"p3-{data_dir.name}-", data_dir, batch_size=5) as cluster:
        for n in range(workers):
            cluster.start_worker(instance_id=f"scorer-{n}")
        cluster.produce(sent)
        check(cluster, events)
