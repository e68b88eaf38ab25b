"""The change consumer with poison records: each kind becomes a dead letter, and the records
around it are stored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from schemas import DeadLetter
from schemas.codec import encode
from services.alerts import consumer as consumer_module
from services.alerts.consumer import ChangeConsumer, store_isolating, store_records
from services.alerts.tables import HealthChangeRow
from services.db.sql import make_engine, session_factory
from services.kafka.messages import RawMessage
from services.kafka.topics import ensure_topics, topic_names
from services.local.broker import Broker
from services.settings import Settings
from tests.support.changes import risk_change
from tests.support.faults import fail_on
from tests.support.waiting import eventually

NOW = datetime(2026, 11, 1, tzinfo=UTC)
TOPIC = "health-changes"


def record(offset: int, value: bytes) -> RawMessage:
    return RawMessage(TOPIC, 0, offset, b"acct", value)


def stored(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(HealthChangeRow.change_id)))


def store(session: Session, batch: list[RawMessage]) -> tuple[int, list[DeadLetter]]:
    return store_records(session, batch, TOPIC, NOW)


def test_a_record_the_database_refuses_is_dead_lettered_and_the_rest_stored(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = ValueError("value too long for type character varying(64)")
    fail_on(monkeypatch, consumer_module, "record_change", refused,
            lambda _session, change, *_: change.account_id == "acct-bad")  # fmt: skip
    batch = [
        record(0, encode(risk_change(account="acct-1"))),
        record(1, encode(risk_change(account="acct-bad"))),
        record(2, encode(risk_change(account="acct-2"))),
    ]
    _, dead = store_isolating(sessions, batch, store, NOW)
    [letter] = dead
    assert (letter.stage, letter.offset) == ("process", 1)
    assert "ValueError: value too long" in letter.error
    assert stored(sessions) == {"acct-1:1", "acct-2:1"}


def test_an_unavailable_database_dead_letters_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables: every write fails
    try:
        with pytest.raises(OperationalError):
            store_isolating(session_factory(engine), [record(0, encode(risk_change()))], store, NOW)
    finally:
        engine.dispose()


def read(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=1500
    )
    values = [orjson.loads(r.value) for r in consumer]
    consumer.close()
    return values


async def test_the_consumer_dead_letters_every_kind_of_poison_and_stores_the_rest(
    broker: Broker, topic_prefix: str, sessions: sessionmaker[Session]
) -> None:
    settings = Settings(
        kafka_bootstrap_servers=broker.bootstrap,
        topic_prefix=topic_prefix,
        kafka_rebalance_timeout_s=3,
    )
    ensure_topics(settings)
    names = topic_names(settings)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    for value in [
        b"\xff not json",
        orjson.dumps({"change_id": "x"}),
        b'{"huge": "' + b"x" * 900_000 + b'"}',
        encode(risk_change(account="acct-ok")),
    ]:
        producer.send(names.health_changes, key=b"acct", value=value)
    producer.flush()
    producer.close()
    consumer = ChangeConsumer(settings, sessions, lambda: None)
    running = asyncio.create_task(consumer.run())
    try:
        await asyncio.to_thread(
            eventually, lambda: "acct-ok:1" in stored(sessions), 90, "the valid change stored"
        )
        letters = await asyncio.to_thread(
            eventually,
            lambda: (
                (found := read(broker.bootstrap, names.dead_letters)) and len(found) == 3 and found
            ),
            60,
            "three dead letters",
        )
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert [letter["stage"] for letter in letters] == ["decode", "validate", "validate"]
    assert letters[2]["truncated"] and letters[2]["value_bytes"] > 900_000
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(HealthChangeRow)) == 1


def test_an_alert_opened_by_a_change_records_how_long_the_change_took_to_become_one(
    sessions: sessionmaker[Session],
) -> None:
    def observed() -> tuple[float, float]:
        count = REGISTRY.get_sample_value("healthmon_change_to_alert_seconds_count") or 0.0
        total = REGISTRY.get_sample_value("healthmon_change_to_alert_seconds_sum") or 0.0
        return count, total

    before = observed()
    change = risk_change("green", "red", account="acct-slow")  # emitted at T0
    with sessions.begin() as session:
        store_records(
            session, [record(0, encode(change))], TOPIC, change.emitted_at + timedelta(seconds=2)
        )
    after = observed()
    assert (after[0] - before[0], after[1] - before[1]) == (1, 2.0)
