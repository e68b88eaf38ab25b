"""A change is stored with its state before it is sent; a worker that restores a state still
holding one sends it, then stores the state without it."""

from __future__ import annotations

from pathlib import Path

import orjson
from kafka import KafkaProducer

from schemas.codec import encode
from services.kafka.batched_sends import default_partition
from services.local.broker import Broker
from services.scorer.changelog import CHANGELOG, Stored, encode_state
from tests.support.events import T0, event
from tests.support.model import fold_all
from tests.support.scorer_process import scorer_cluster
from tests.support.waiting import eventually


def test_a_restored_state_sends_the_change_it_holds_then_stores_itself_without_it(
    broker: Broker, tmp_path: Path
) -> None:
    failed = event("payment", "payment_failed", account="acct-held", invoice_id="in1", at=T0)
    state, changes = fold_all([failed], account="acct-held")
    held = [encode(change) for change in changes]
    assert len(held) == 1  # a payment failure is a critical signal
    with scorer_cluster(broker, f"h1-{tmp_path.name}-", tmp_path) as cluster:
        # what a worker that died between storing the state and sending the change left behind
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        producer.send(
            cluster.prefix + CHANGELOG.name,
            key=b"acct-held",
            value=encode_state(state, held),
            partition=default_partition(b"acct-held", cluster.settings.topic_partitions),
        )
        producer.flush()
        producer.close()

        cluster.start_worker()
        sent = eventually(cluster.changes, what="the held change")
        assert sent[0] == orjson.loads(held[0])

        def without_changes() -> Stored | None:
            record = cluster.changelog()["acct-held"]
            return None if record.outbox else record

        record = eventually(without_changes, what="the state stored without the change")
        assert record.state.events_seen == 1
        assert {c["seq"] for c in cluster.changes()} == set(range(1, record.state.seq + 1))
