"""Events in over HTTP, a signed webhook out: the backbone on each local broker engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from standardwebhooks.webhooks import Webhook

from schemas.generate import schema_path
from schemas.topics import HEALTH_CHANGES
from services.alerts.store.outbox import EVENT_TYPES
from services.kafka.topics import topic_names
from tests.e2e.conftest import System
from tests.support.receiver import http_receiver
from tests.support.waiting import eventually

ACCOUNT = "globex"


def events(now: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A healthy history, then the signals of an account at risk."""

    def ev(kind: str, type_: str, days_ago: float, **props: Any) -> dict[str, Any]:
        at = (now - timedelta(days=days_ago)).isoformat()
        return {
            "account_id": ACCOUNT,
            "kind": kind,
            "type": type_,
            "occurred_at": at,
            "properties": props,
        }

    healthy = [ev("usage", "active", d, user_id=f"u{d % 3}") for d in range(10, 0, -1)]
    healthy.append(ev("payment", "invoice_paid", 9, invoice_id="inv-1"))
    at_risk = [
        ev("payment", "payment_failed", 0.5, invoice_id="inv-2"),
        ev("payment", "dispute_opened", 0.4, dispute_id="dp-1"),
        ev("ticket", "ticket_opened", 0.3, ticket_id="t-1", priority="urgent"),
        ev("ticket", "ticket_escalated", 0.2, ticket_id="t-1"),
        ev("usage", "nps_response", 0.1, score=1),
    ]
    return healthy, at_risk


def end_offsets(system: System, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(bootstrap_servers=system.settings.kafka_bootstrap_servers)
    partitions = [
        TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()
    ]
    offsets = consumer.end_offsets(partitions)
    consumer.close()
    return dict(offsets)


def read_topic(system: System, topic: str) -> list[Any]:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=system.settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest", consumer_timeout_ms=3000,
    )  # fmt: skip
    records = list(consumer)
    consumer.close()
    return records


def test_an_account_going_at_risk_reaches_every_output(system: System) -> None:
    with http_receiver() as receiver:
        created = system.alerts.post("/v1/webhook-endpoints", json={"url": receiver.url})
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        traits = {"account_id": ACCOUNT, "segment": "enterprise", "csm_owner": "kim@example.com"}
        assert system.ingest.post("/v1/accounts", json=traits).status_code == 202
        # Traits and events travel on different topics; let the traits land first.
        eventually(
            lambda: (
                (r := system.alerts.get(f"/v1/accounts/{ACCOUNT}/health")).status_code == 200
                and r.json()["csm_owner"] == "kim@example.com"
            ),
            what="the account's traits",
        )
        healthy, at_risk = events(datetime.now(UTC))
        batch = system.ingest.post("/v1/events/batch", json={"events": healthy})
        assert batch.json()["accepted"] == len(healthy), batch.text
        for event in at_risk:
            assert system.ingest.post("/v1/events", json=event).status_code == 202

        # (a) webhooks with valid Standard Webhooks signatures, one of them for the at-risk band
        def at_risk_alert() -> dict[str, Any] | None:
            payloads = [Webhook(secret).verify(r.body, r.headers) for r in receiver.requests]
            assert {p["type"] for p in payloads} <= set(EVENT_TYPES)
            return next(
                (p["data"] for p in payloads if p["data"]["band"] in ("yellow", "red")), None
            )

        alert = eventually(at_risk_alert, what="an at-risk webhook")
    assert alert["account_id"] == ACCOUNT
    assert (
        alert["change"]["segment"] == "enterprise"
        and alert["change"]["csm_owner"] == "kim@example.com"
    )

    # (b) the change is on health-changes and matches the committed JSON Schema
    schema = orjson.loads(schema_path(HEALTH_CHANGES).read_bytes())
    changes = [
        orjson.loads(r.value)
        for r in read_topic(system, topic_names(system.settings).health_changes)
    ]
    for change in changes:
        jsonschema.validate(change, schema)
    assert alert["change"]["change_id"] in {c["change_id"] for c in changes}
    assert [c["seq"] for c in changes] == list(range(1, len(changes) + 1))

    # (c) the alerts API lists it, and the account's health is known
    listed = system.alerts.get("/v1/alerts", params={"account_id": ACCOUNT}).json()["items"]
    assert alert["id"] in {a["id"] for a in listed}
    health = eventually(
        lambda: (
            (r := system.alerts.get(f"/v1/accounts/{ACCOUNT}/health")).status_code == 200
            and r.json()
        ),
        what="the account's health",
    )
    assert health["band"] in ("yellow", "red")


def test_an_invalid_event_gets_422_and_produces_nothing(system: System) -> None:
    names = topic_names(system.settings)
    inputs = [names.usage_events, names.ticket_events, names.payment_events]
    before = end_offsets(system, inputs)
    bad = {
        "account_id": ACCOUNT,
        "kind": "usage",
        "type": "nps_response",
        "properties": {"score": 99},
    }
    response = system.ingest.post("/v1/events", json=bad)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["properties", "score"]
    assert end_offsets(system, inputs) == before


def test_unreadable_messages_on_a_topic_go_to_dead_letters(system: System) -> None:
    names = topic_names(system.settings)
    producer = KafkaProducer(bootstrap_servers=system.settings.kafka_bootstrap_servers)
    producer.send(names.usage_events, key=b"poison", value=b"\x00not json")
    producer.flush()
    producer.close()

    def poison_letter() -> dict[str, Any] | None:
        letters = [orjson.loads(r.value) for r in read_topic(system, names.dead_letters)]
        return next((d for d in letters if d["key"] == "poison"), None)

    letter = eventually(poison_letter, what="a dead letter")
    assert (letter["stage"], letter["source_topic"], letter["service"]) == (
        "decode",
        names.usage_events,
        "scorer",
    )
    # the scorer is still running and scoring after the poison message
    assert all(child.process.poll() is None for child in system.children)
