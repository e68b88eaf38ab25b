"""The events API producing to a real broker: a record Kafka refuses (MSG_SIZE_TOO_LARGE) is a
413 alone, and in a batch a rejected item while the others are written, never a 500."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from kafka import KafkaConsumer

from services.ingest.app import create_app
from services.kafka.topics import ensure_topics, topic_names
from services.local.broker import Broker
from services.settings import Settings

KEY = {"Authorization": "Bearer key-1"}
SMALL = {"account_id": "acme", "kind": "usage", "type": "login", "event_id": "small"}
HUGE = {**SMALL, "event_id": "huge", "properties": {"blob": "x" * 1_100_000}}
"""Within an event limit raised past the broker's message size (1 MB)."""


@pytest.mark.parametrize("producer", ["confluent", "aiokafka"])
def test_records_kafka_finds_too_large_are_never_a_server_error(
    broker: Broker, topic_prefix: str, tmp_path: Path, producer: str
) -> None:
    settings = Settings(
        api_keys="key-1",  # type: ignore[arg-type]
        data_dir=tmp_path,
        kafka_bootstrap_servers=broker.bootstrap,
        topic_prefix=topic_prefix,
        ingest_producer=producer,  # type: ignore[arg-type]
        max_event_bytes=4_000_000,
        max_body_bytes=8_000_000,
    )
    ensure_topics(settings)
    with TestClient(create_app(settings)) as client:
        alone = client.post("/v1/events", json=HUGE, headers=KEY)
        batch = client.post("/v1/events/batch", json={"events": [SMALL, HUGE]}, headers=KEY)
    assert alone.status_code == 413 and "too large" in alone.json()["detail"]
    assert batch.status_code == 200
    body = batch.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert body["results"][1]["errors"][0]["type"] == "not_written"
    consumer = KafkaConsumer(
        topic_names(settings).usage_events,
        bootstrap_servers=broker.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    written = [orjson.loads(record.value)["event_id"] for record in consumer]
    consumer.close()
    assert written == ["small"]
