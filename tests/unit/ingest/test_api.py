"""The ingest API's contract with clients: auth, validation, limits and per-item batch results.

The record sink is replaced by an in-memory one here; tests/integration and tests/e2e produce to a
real broker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.support.ingest import ingest_client
from tests.support.sinks import MemorySink

KEY = {"Authorization": "Bearer key-1"}
ACTIVE = {"account_id": "a1", "kind": "usage", "type": "active", "properties": {"user_id": "u"}}


@pytest.fixture
def client(sink: MemorySink, tmp_path: Path) -> Iterator[TestClient]:
    with ingest_client(sink, tmp_path, "key-1,key-2", max_body_bytes=4096) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic a2V5LTE="}]
)
def test_requests_without_a_known_key_get_401(
    client: TestClient, sink: MemorySink, headers: dict[str, str]
) -> None:
    response = client.post("/v1/events", json=ACTIVE, headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert sink.records == []


def test_an_event_is_produced_to_its_kind_topic_keyed_by_account(
    client: TestClient, sink: MemorySink
) -> None:
    response = client.post("/v1/events", json=ACTIVE, headers={"Authorization": "Bearer key-2"})
    assert response.status_code == 202
    [record] = sink.records
    value = orjson.loads(record.value)
    assert (record.topic, record.key) == ("usage-events", b"a1")
    assert value["event_id"] == response.json()["event_id"]
    assert value["source"] == "api" and value["received_at"]


def test_invalid_event_gets_422_naming_the_field_and_produces_nothing(
    client: TestClient, sink: MemorySink
) -> None:
    bad = {**ACTIVE, "type": "nps_response", "properties": {"score": "ten"}}
    response = client.post("/v1/events", json=bad, headers=KEY)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["properties", "score"]
    assert sink.records == []


def test_malformed_json_gets_422(client: TestClient) -> None:
    response = client.post(
        "/v1/events", content=b"{oops", headers={**KEY, "content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_bodies_over_the_limit_get_413(client: TestClient, sink: MemorySink) -> None:
    big = {**ACTIVE, "properties": {"user_id": "u", "blob": "x" * 5000}}
    response = client.post("/v1/events", json=big, headers=KEY)
    assert response.status_code == 413
    assert "4096" in response.json()["detail"]
    assert sink.records == []


def test_batch_accepts_the_valid_items_and_reports_each(
    client: TestClient, sink: MemorySink
) -> None:
    events = [
        ACTIVE,
        {**ACTIVE, "kind": "ticket", "type": "ticket_opened"},
        {**ACTIVE, "event_id": "e-3"},
    ]
    response = client.post("/v1/events/batch", json={"events": events}, headers=KEY)
    body = response.json()
    assert response.status_code == 200
    assert (body["accepted"], body["rejected"]) == (2, 1)
    assert [r["status"] for r in body["results"]] == ["accepted", "rejected", "accepted"]
    assert body["results"][1]["errors"][0]["loc"] == ["properties", "ticket_id"]
    assert body["results"][2]["event_id"] == "e-3"
    assert len(sink.records) == 2


def test_batch_over_1000_events_is_rejected(client: TestClient, tmp_path: Path) -> None:
    with ingest_client(MemorySink(), tmp_path, max_body_bytes=10_000_000) as big_client:
        response = big_client.post(
            "/v1/events/batch", json={"events": [ACTIVE] * 1001}, headers=KEY
        )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["events"]


def test_account_upsert_goes_to_account_updates(client: TestClient, sink: MemorySink) -> None:
    traits = {
        "account_id": "a1",
        "segment": "enterprise",
        "csm_owner": "kim@example.com",
        "seats": 30,
    }
    assert client.post("/v1/accounts", json=traits, headers=KEY).status_code == 202
    [record] = sink.records
    assert record.topic == "account-updates"
    assert orjson.loads(record.value)["csm_owner"] == "kim@example.com"
    bad = client.post(
        "/v1/accounts", json={"account_id": "a1", "csm_owner": "not-an-email"}, headers=KEY
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["csm_owner"]


def test_kafka_refusing_records_is_a_503_with_retry_after(
    client: TestClient, sink: MemorySink
) -> None:
    sink.failing = True
    response = client.post("/v1/events", json=ACTIVE, headers=KEY)
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200


def test_metrics_count_accepted_and_rejected(client: TestClient) -> None:
    client.post("/v1/events/batch", json={"events": [ACTIVE, {"kind": "bogus"}]}, headers=KEY)
    text = client.get("/metrics").text
    assert (
        'healthmon_ingest_events_total{kind="usage",outcome="accepted",reason="none",source="api"}'
        in text
    )
    assert (
        'healthmon_ingest_events_total{kind="invalid",outcome="rejected",reason="invalid",'
        'source="api"}' in text
    )
    client.post("/v1/events", json=ACTIVE)
    assert (
        'healthmon_ingest_rejected_requests_total{reason="unauthorized"}'
        in client.get("/metrics").text
    )


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_declared_json_gets_415(
    client: TestClient, sink: MemorySink, content_type: str | None
) -> None:
    headers = {**KEY, **({"content-type": content_type} if content_type else {})}
    response = client.post("/v1/events", content=orjson.dumps(ACTIVE), headers=headers)
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["detail"]
    assert sink.records == []
    charset = {**KEY, "content-type": "application/json; charset=utf-8"}
    assert client.post("/v1/events", content=orjson.dumps(ACTIVE), headers=charset).is_success


def test_a_key_over_its_rate_limit_gets_429_with_retry_after(tmp_path: Path) -> None:
    limits = {"rate_limit_per_s": 0.5, "rate_limit_burst": 2}
    with ingest_client(MemorySink(), tmp_path, "key-1,key-2", **limits) as limited:
        statuses = [limited.post("/v1/events", json=ACTIVE, headers=KEY) for _ in range(3)]
        assert [r.status_code for r in statuses] == [202, 202, 429]
        assert statuses[2].headers["Retry-After"] == "2"
        assert "rate limit" in statuses[2].json()["detail"]
        other = limited.post("/v1/events", json=ACTIVE, headers={"Authorization": "Bearer key-2"})
        assert other.status_code == 202  # each key has its own budget


def test_an_event_json_cannot_carry_gets_422_not_500(client: TestClient, sink: MemorySink) -> None:
    # Python's JSON parser accepts an unpaired surrogate, which no UTF-8 topic can carry.
    body = b'{"account_id": "a\\ud800", "kind": "usage", "type": "login"}'
    headers = {**KEY, "content-type": "application/json"}
    response = client.post("/v1/events", content=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["account_id"]
    batch = client.post(
        "/v1/events/batch",
        content=b'{"events": [{"account_id": "a\\ud800", "kind": "usage", "type": "login"}]}',
        headers=headers,
    )
    assert batch.json()["results"][0]["status"] == "rejected"
    assert sink.records == []
