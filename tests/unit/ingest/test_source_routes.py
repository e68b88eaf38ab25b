"""The Segment, Stripe and Zendesk endpoints and account mappings over HTTP (records go to an
in-memory sink here; tests/e2e sends through the running system with the official libraries)."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from segment.analytics import Client

from services.ingest.app import create_app
from services.settings import Settings
from tests.support.ingest import ingest_client
from tests.support.sinks import MemorySink
from tests.support.sources import (
    ZENDESK_TEST_SECRET,
    stripe_events,
    stripe_request,
    zendesk_event,
    zendesk_request,
)

SEGMENT = Client("key-1", send=False)
BASIC = {"Authorization": "Basic " + base64.b64encode(b"key-1:").decode()}
BEARER = {"Authorization": "Bearer key-1"}


def message(method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    return dict(getattr(SEGMENT, method)(*args, **kwargs)[1])


@pytest.fixture
def client(sink: MemorySink, tmp_path: Path) -> Iterator[TestClient]:
    secrets = {
        "stripe_webhook_secrets": "whsec_old,whsec_new",
        "zendesk_webhook_secrets": ZENDESK_TEST_SECRET,
    }
    with ingest_client(sink, tmp_path, **secrets) as test_client:
        yield test_client


def map_account(client: TestClient, source: str, external_id: str, account: str) -> None:
    response = client.put(
        f"/v1/account-mappings/{source}/{external_id}", json={"account_id": account}, headers=BEARER
    )
    assert response.status_code == 200, response.text


def test_a_segment_batch_gzipped_with_basic_auth_reports_each_message(
    client: TestClient, sink: MemorySink
) -> None:
    batch = [
        message("group", "u1", "acme", {"plan": "enterprise", "seats": 12}),
        message("track", "u1", "Report Exported"),  # attributed through the group call
        message("track", "u2", "Signed Up"),  # nobody knows u2's account
        message("alias", "old", "u1"),
    ]
    body = gzip.compress(orjson.dumps({"batch": batch, "sentAt": batch[0]["timestamp"]}))
    headers = BASIC | {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    response = client.post("/v1/batch", content=body, headers=headers)
    assert response.status_code == 200
    result = response.json()
    assert result["success"] is True
    assert [r["status"] for r in result["results"]] == [
        "accepted",
        "accepted",
        "rejected",
        "ignored",
    ]
    assert result["results"][2]["errors"][0]["loc"] == ["context", "groupId"]
    [update] = sink.values("account-updates")
    assert (update["account_id"], update["segment"], update["seats"]) == ("acme", "enterprise", 12)
    [usage] = sink.values("usage-events")
    assert usage["account_id"] == "acme" and usage["event_id"] == batch[1]["messageId"]
    [dead] = sink.values("dead-letters")
    assert (dead["source_topic"], dead["stage"]) == ("POST /v1/batch", "attribute")
    assert (
        orjson.loads(base64.b64decode(dead["value_base64"]))["messageId"] == batch[2]["messageId"]
    )


def test_segment_single_calls_answer_422_or_403_directly(
    client: TestClient, tmp_path: Path
) -> None:
    ok = client.post(
        "/v1/track",
        json={"userId": "u1", "event": "X", "properties": {"account_id": "a"}},
        headers=BEARER,
    )
    assert ok.status_code == 200 and ok.json()["accepted"] == 1
    bad = client.post(
        "/v1/track", json={"userId": "u1", "properties": {"account_id": "a"}}, headers=BEARER
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["event"]
    in_body = client.post(
        "/v1/identify", json={"userId": "u1", "writeKey": "key-1", "traits": {"account_id": "a"}}
    )
    assert in_body.status_code == 200
    assert client.post("/v1/page", json={"userId": "u1"}).status_code == 401


def test_a_segment_key_without_accounts_write_cannot_send_group_calls(
    sink: MemorySink, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from services.db.sql import Database
    from services.web.api_keys import create_key

    settings = Settings(data_dir=tmp_path)
    with Database(settings.sqlalchemy_url).sessions().begin() as session:
        _, secret = create_key(session, "web", ["events:usage"], datetime.now(UTC))
    auth = {"Authorization": "Basic " + base64.b64encode(f"{secret}:".encode()).decode()}
    batch = [
        message("group", "u1", "acme", {}),
        message("page", "u1", properties={"account_id": "acme"}),
    ]
    with TestClient(create_app(settings, sink=sink)) as client:
        result = client.post("/v1/batch", json={"batch": batch}, headers=auth).json()
    assert [r["status"] for r in result["results"]] == ["rejected", "accepted"]
    assert "accounts:write" in result["results"][0]["errors"][0]["msg"]


def test_a_signed_stripe_event_of_a_mapped_customer_is_a_payment_event(
    client: TestClient, sink: MemorySink
) -> None:
    map_account(client, "stripe", "cus_Test123", "acme")
    body, headers = stripe_request(stripe_events()["evt_1Test0004"], "whsec_old")
    response = client.post("/v1/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {
        "status": "accepted",
        "event_ids": ["evt_1Test0004"],
        "account_id": "acme",
    }
    [event] = sink.values("payment-events")
    assert (event["type"], event["account_id"]) == ("payment_failed", "acme")


def test_stripe_requests_with_a_bad_signature_get_401(client: TestClient, sink: MemorySink) -> None:
    body, headers = stripe_request(stripe_events()["evt_1Test0004"], "whsec_unknown")
    response = client.post("/v1/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 401 and "signing secret" in response.json()["detail"]
    unsigned = client.post(
        "/v1/webhooks/stripe", content=body, headers={"Content-Type": "application/json"}
    )
    assert unsigned.status_code == 401 and "Stripe-Signature" in unsigned.json()["detail"]
    assert sink.records == []


def test_a_stripe_event_nobody_can_attribute_is_acknowledged_and_dead_lettered(
    client: TestClient, sink: MemorySink
) -> None:
    body, headers = stripe_request(stripe_events()["evt_1Test0003"], "whsec_new")
    response = client.post("/v1/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    [dead] = sink.values("dead-letters")
    assert dead["stage"] == "attribute" and "cus_Test123" in dead["error"]
    assert base64.b64decode(dead["value_base64"]) == body


def test_unknown_stripe_types_are_acknowledged(client: TestClient, sink: MemorySink) -> None:
    event = stripe_events()["evt_1Test0004"] | {"type": "payout.paid"}
    body, headers = stripe_request(event, "whsec_new")
    response = client.post("/v1/webhooks/stripe", content=body, headers=headers)
    assert response.json() == {"status": "ignored", "event_ids": [], "reason": "payout.paid"}
    assert sink.records == []


def test_webhooks_of_a_provider_without_secrets_are_not_enabled(
    sink: MemorySink, tmp_path: Path
) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path), sink=sink)) as client:
        body, headers = stripe_request(stripe_events()["evt_1Test0004"], "whsec_new")
        response = client.post("/v1/webhooks/stripe", content=body, headers=headers)
    assert (
        response.status_code == 404
        and "HEALTHMON_STRIPE_WEBHOOK_SECRETS" in response.json()["detail"]
    )


def test_a_signed_zendesk_ticket_of_a_mapped_organization_is_a_ticket_event(
    client: TestClient, sink: MemorySink
) -> None:
    map_account(client, "zendesk", "8447346622462", "acme")
    body, headers = zendesk_request(zendesk_event("created", priority="URGENT"))
    response = client.post("/v1/webhooks/zendesk", content=body, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    [event] = sink.values("ticket-events")
    assert (event["type"], event["properties"]["priority"]) == ("ticket_opened", "urgent")
    forged = client.post("/v1/webhooks/zendesk", content=body + b" ", headers=headers)
    assert forged.status_code == 401


def test_mappings_are_listed_changed_and_removed(client: TestClient) -> None:
    map_account(client, "stripe", "cus_1", "acme")
    map_account(client, "stripe", "cus_1", "globex")
    listed = client.get("/v1/account-mappings", params={"source": "stripe"}, headers=BEARER).json()
    assert [(m["external_id"], m["account_id"], m["learned"]) for m in listed] == [
        ("cus_1", "globex", False)
    ]
    assert client.delete("/v1/account-mappings/stripe/cus_1", headers=BEARER).status_code == 204
    assert client.delete("/v1/account-mappings/stripe/cus_1", headers=BEARER).status_code == 404
    bad = client.put("/v1/account-mappings/hubspot/1", json={"account_id": "a"}, headers=BEARER)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["path", "source"]


def test_an_outside_id_with_a_control_character_cannot_be_mapped(client: TestClient) -> None:
    response = client.put(
        "/v1/account-mappings/stripe/cus_1%00", json={"account_id": "acme"}, headers=BEARER
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "external_id"]
    assert response.json()["detail"][0]["type"] == "control_character"
