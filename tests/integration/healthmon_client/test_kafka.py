"""`EventProducer` on a real broker: the records it writes are complete topic events."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import orjson
from kafka import KafkaConsumer

from healthmon_client import EventProducer
from schemas.events import EVENT_ADAPTER
from services.kafka.topics import ensure_topics
from services.local.broker import Broker
from services.settings import Settings


def read_one(broker: Broker, topic: str) -> dict[str, object]:
    """The first record of `topic`, decoded."""
    consumer = KafkaConsumer(
        topic, bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest",
        consumer_timeout_ms=15_000,
    )  # fmt: skip
    try:
        record = next(iter(consumer))
    finally:
        consumer.close()
    value: dict[str, object] = orjson.loads(record.value)
    return value


def test_the_fields_ingest_would_add_are_filled_in_with_the_documented_defaults(
    broker: Broker, topic_prefix: str
) -> None:
    ensure_topics(Settings(kafka_bootstrap_servers=broker.bootstrap, topic_prefix=topic_prefix))
    before = datetime.now(UTC)
    with EventProducer(broker.bootstrap, topic_prefix=topic_prefix) as producer:
        event_id = producer.send({"account_id": "acme", "kind": "usage", "type": "login"})
    sent = read_one(broker, f"{topic_prefix}usage-events")
    assert sent == {
        "event_id": event_id,
        "account_id": "acme",
        "kind": "usage",
        "type": "login",
        "occurred_at": sent["received_at"],
        "received_at": sent["received_at"],
        "source": "sdk",
        "properties": {},
        "schema_version": 1,
    }
    assert re.fullmatch(r"[0-9a-f]{32}", event_id)
    assert before <= datetime.fromisoformat(str(sent["received_at"])) <= datetime.now(UTC)
    EVENT_ADAPTER.validate_python(sent)  # what the scorer accepts
