"""Ingest's own limits on every way in: events too large for Kafka get 413 (or a rejected item),
event times too far ahead or too old get 422 naming the field, and signed provider webhooks are
acknowledged with a dead letter instead."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.support.ingest import ingest_client
from tests.support.sinks import MemorySink
from tests.support.sources import stripe_events, stripe_request, zendesk_event, zendesk_request

KEY = {"Authorization": "Bearer key-1"}
PAYMENT = {"account_id": "ff-1", "kind": "payment", "type": "invoice_paid"}
TRACK = {"userId": "u1", "event": "Report Exported", "context": {"groupId": "acme"}}
BIG = "x" * 70_000


@pytest.fixture
def client(sink: MemorySink, tmp_path: Path) -> Iterator[TestClient]:
    secrets = {"stripe_webhook_secrets": "whsec_1", "zendesk_webhook_secrets": "zd-secret"}
    with ingest_client(sink, tmp_path, **secrets) as test_client:
        yield test_client


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def test_an_event_over_the_event_limit_gets_413_naming_the_limit(
    client: TestClient, sink: MemorySink
) -> None:
    response = client.post("/v1/events", json={**PAYMENT, "properties": {"b": BIG}}, headers=KEY)
    assert response.status_code == 413
    assert "65536 bytes" in response.json()["detail"]
    assert "HEALTHMON_MAX_EVENT_BYTES" in response.json()["detail"]
    assert sink.records == []


def test_a_late_event_with_a_huge_property_is_refused_like_any_other(
    client: TestClient, sink: MemorySink
) -> None:
    assert client.post("/v1/events", json=PAYMENT, headers=KEY).status_code == 202
    late = {**PAYMENT, "occurred_at": ago(days=10), "properties": {"b": "y" * 900_000}}
    response = client.post("/v1/events", json=late, headers=KEY)
    assert response.status_code == 413
    assert len(sink.records) == 1


def test_a_batch_rejects_the_oversized_item_and_writes_the_others(
    client: TestClient, sink: MemorySink
) -> None:
    events = [PAYMENT, {**PAYMENT, "properties": {"b": BIG}}]
    response = client.post("/v1/events/batch", json={"events": events}, headers=KEY)
    body = response.json()
    assert response.status_code == 200
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert body["results"][1]["errors"][0]["type"] == "too_large"
    assert "65536" in body["results"][1]["errors"][0]["msg"]
    assert len(sink.records) == 1


def test_the_event_limit_is_configurable(sink: MemorySink, tmp_path: Path) -> None:
    with ingest_client(sink, tmp_path, max_event_bytes=100_000) as roomy:
        event = {**PAYMENT, "properties": {"b": BIG}}
        assert roomy.post("/v1/events", json=event, headers=KEY).status_code == 202


def test_a_far_future_event_time_gets_422_naming_occurred_at(
    client: TestClient, sink: MemorySink
) -> None:
    response = client.post(
        "/v1/events", json={**PAYMENT, "occurred_at": "9999-12-31T00:00:00Z"}, headers=KEY
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["occurred_at"] and error["type"] == "time_in_future"
    assert "HEALTHMON_EVENT_MAX_FUTURE_S" in error["msg"]
    assert sink.records == []


def test_event_times_within_the_clock_skew_are_accepted(client: TestClient) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=200)).isoformat()
    assert client.post("/v1/events", json={**PAYMENT, "occurred_at": soon}, headers=KEY).is_success
    late = (datetime.now(UTC) + timedelta(seconds=400)).isoformat()
    assert client.post("/v1/events", json={**PAYMENT, "occurred_at": late}).status_code == 401
    assert (
        client.post("/v1/events", json={**PAYMENT, "occurred_at": late}, headers=KEY).status_code
        == 422
    )


def test_an_event_time_before_the_floor_gets_422_naming_occurred_at(client: TestClient) -> None:
    old = {**PAYMENT, "occurred_at": "1970-01-01T00:00:00Z"}
    response = client.post("/v1/events/batch", json={"events": [PAYMENT, old]}, headers=KEY)
    [error] = response.json()["results"][1]["errors"]
    assert error["loc"] == ["occurred_at"] and error["type"] == "time_too_early"
    assert "HEALTHMON_EVENT_EARLIEST" in error["msg"]
    assert response.json()["accepted"] == 1


def test_segment_event_times_are_bounded_after_the_clock_correction(
    client: TestClient, sink: MemorySink
) -> None:
    future = {**TRACK, "timestamp": "2999-01-01T00:00:00Z"}
    single = client.post("/v1/track", json=future, headers=KEY)
    assert single.status_code == 422
    assert single.json()["detail"][0]["loc"] == ["timestamp"]
    # a sender whose clock runs a year fast: the correction brings its time back to now
    fast = {**future, "sentAt": "2999-01-01T00:00:05Z"}
    assert client.post("/v1/track", json=fast, headers=KEY).status_code == 200
    batch = client.post("/v1/batch", json={"batch": [{"type": "track", **future}]}, headers=KEY)
    assert batch.json()["results"][0]["errors"][0]["type"] == "time_in_future"
    [dead] = sink.values("dead-letters")
    assert "timestamp" in dead["error"]


def test_an_oversized_segment_message_gets_413_alone_and_a_dead_letter_in_a_batch(
    client: TestClient, sink: MemorySink
) -> None:
    huge = {**TRACK, "properties": {"b": BIG}}
    assert client.post("/v1/track", json=huge, headers=KEY).status_code == 413
    batch = client.post(
        "/v1/batch", json={"batch": [{"type": "track", **huge}, {"type": "track", **TRACK}]},
        headers=KEY,
    )  # fmt: skip
    assert [r["status"] for r in batch.json()["results"]] == ["rejected", "accepted"]
    assert batch.json()["results"][0]["errors"][0]["type"] == "too_large"
    assert len(sink.values("usage-events")) == 1 and len(sink.values("dead-letters")) == 1


def map_account(client: TestClient, source: str, external_id: str) -> None:
    response = client.put(
        f"/v1/account-mappings/{source}/{external_id}", json={"account_id": "acme"}, headers=KEY
    )
    assert response.status_code == 200


def test_a_signed_stripe_event_from_the_far_future_is_acknowledged_and_dead_lettered(
    client: TestClient, sink: MemorySink
) -> None:
    map_account(client, "stripe", "cus_Test123")
    event: dict[str, Any] = {**stripe_events()["evt_1Test0004"], "created": 253_402_300_000}
    body, headers = stripe_request(event, "whsec_1")
    response = client.post("/v1/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["errors"][0]["loc"] == ["created"]
    [dead] = sink.values("dead-letters")
    assert "created" in dead["error"] and base64.b64decode(dead["value_base64"]) == body
    assert sink.values("payment-events") == []


def test_a_signed_zendesk_event_older_than_the_floor_is_acknowledged_and_dead_lettered(
    client: TestClient, sink: MemorySink
) -> None:
    map_account(client, "zendesk", "8447346622462")
    event = {**zendesk_event("created"), "time": "1999-12-31T23:59:59Z"}
    body, headers = zendesk_request(event, "zd-secret")
    response = client.post("/v1/webhooks/zendesk", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["errors"][0] == {
        "loc": ["time"],
        "msg": "1999-12-31T23:59:59+00:00 is before 2000-01-01T00:00:00+00:00 "
        "(HEALTHMON_EVENT_EARLIEST)",
        "type": "time_too_early",
    }
    assert [d["stage"] for d in sink.values("dead-letters")] == ["validate"]


def test_numbers_json_cannot_carry_are_refused_by_every_json_endpoint(
    client: TestClient, sink: MemorySink
) -> None:
    headers = {**KEY, "content-type": "application/json"}
    event = b'{"account_id": "a", "kind": "usage", "type": "x", "properties": {"n": 1e400}}'
    response = client.post("/v1/events", content=event, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["properties", "n"]
    track = orjson.dumps({**TRACK, "properties": {"n": 1}}).replace(b'"n":1', b'"n":1e400')
    segment = client.post("/v1/track", content=track, headers=headers)
    assert segment.status_code == 400  # orjson, which Segment bodies are read with, refuses it
    assert "not valid JSON" in segment.json()["detail"]
    assert sink.records == []


def test_an_account_update_over_the_event_limit_gets_413(sink: MemorySink, tmp_path: Path) -> None:
    with ingest_client(sink, tmp_path, max_event_bytes=1024) as tight:
        traits = {"account_id": "acme", "name": "🚀" * 200, "segment": "🚀" * 100}
        response = tight.post("/v1/accounts", json=traits, headers=KEY)
    assert response.status_code == 413 and "1024 bytes" in response.json()["detail"]
    assert sink.records == []
