"""Poison records: nothing one record holds can stop the scorer scoring everyone else."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaProducer

from services.kafka.topics import topic_names
from services.local.broker import Broker
from services.scorer import batch
from services.scorer.model import default_model
from services.scorer.worker import ScorerWorker
from tests.support.events import T0, days, event
from tests.support.faults import fail_on
from tests.support.scorer_process import ScorerCluster, scorer_cluster
from tests.support.waiting import eventually


def dead_letters(cluster: ScorerCluster) -> list[dict[str, Any]]:
    return cluster.changes(topic_names(cluster.settings).dead_letters)


def some_dead_letters(cluster: ScorerCluster, count: int) -> list[dict[str, Any]] | None:
    found = dead_letters(cluster)
    return found if len(found) == count else None


def change_for(cluster: ScorerCluster, account: str) -> dict[str, Any] | None:
    return next((c for c in cluster.changes() if c["account_id"] == account), None)


def test_poison_of_every_kind_is_dead_lettered_and_the_others_are_scored(
    broker: Broker, tmp_path: Path
) -> None:
    """Among them a late event with a 900,000-character property: its dead letter used to
    exceed the broker's message size, and the scorer failed the batch forever."""
    huge = event("usage", "active", account="acct-x", user_id="u1", at=T0 - days(10),
                 note="x" * 900_000)  # fmt: skip
    ahead = datetime.now(UTC) + days(365)
    future = event("payment", "invoice_paid", account="acct-y", invoice_id="in0", at=ahead)
    failed = event("payment", "payment_failed", account="acct-y", invoice_id="in1", at=T0)
    with scorer_cluster(broker, f"p1-{tmp_path.name}-", tmp_path) as cluster:
        names = topic_names(cluster.settings)
        cluster.produce([event("usage", "active", account="acct-x", user_id="u1", at=T0)])
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        producer.send(names.usage_events, key=b"acct-z", value=b"\xff not json")
        producer.send(names.ticket_events, key=b"acct-z", value=orjson.dumps({"kind": "ticket"}))
        producer.flush()
        producer.close()
        cluster.produce([huge, future, failed])
        cluster.start_worker()
        change = eventually(lambda: change_for(cluster, "acct-y"), what="acct-y's payment alert")
        assert change["occurred_at"].startswith(T0.date().isoformat())
        letters = eventually(lambda: some_dead_letters(cluster, 4), what="four dead letters")
        stages = {letter["stage"]: letter for letter in letters}
        assert set(stages) == {"decode", "validate", "late", "future"}
        assert stages["late"]["truncated"] and stages["late"]["value_bytes"] > 900_000
        assert stages["future"]["error"].startswith("occurred_at:")
        assert cluster.changelog()["acct-y"].state.events_seen == 1


async def test_a_record_the_model_keeps_failing_on_is_dead_lettered_and_skipped(
    broker: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault in the model on one input: the worker starts over from its stored state, and
    after the second failure dead-letters that record and scores the rest."""
    fail_on(monkeypatch, batch, "apply", KeyError("no such aggregate"),
            lambda _state, ev, *_: ev.event_id == "poison")  # fmt: skip
    poison = event("usage", "active", account="acct-p", user_id="u1", event_id="poison")
    failed = event("payment", "payment_failed", account="acct-q", invoice_id="in1", at=T0)
    with scorer_cluster(broker, f"p2-{tmp_path.name}-", tmp_path) as cluster:
        cluster.produce([poison, failed])
        settings = cluster.settings.model_copy(update={"kafka_rebalance_timeout_s": 3.0})
        worker = ScorerWorker(settings, default_model())
        running = asyncio.create_task(worker.run())
        try:
            letters = await asyncio.to_thread(
                eventually, lambda: dead_letters(cluster), 120, "the poison record's dead letter"
            )
            change = await asyncio.to_thread(
                eventually, lambda: change_for(cluster, "acct-q"), 60, "acct-q's payment alert"
            )
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        [letter] = letters
        assert letter["stage"] == "process"
        assert "failed 2 times" in letter["error"] and "KeyError" in letter["error"]
        assert change["current"]["band"] in ("yellow", "red")
        assert "acct-p" not in cluster.changelog()
