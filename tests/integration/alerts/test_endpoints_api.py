"""Webhook endpoints and routes over the alerts API: change and re-enable, rotate, ping, replay,
attempts; routes CRUD, with file routes read-only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook

from services.alerts.app import create_app
from services.alerts.store.alerts import utcnow
from services.alerts.store.episodes import record_change
from tests.integration.alerts.test_delivery import drain
from tests.support.changes import risk_change
from tests.support.receiver import http_receiver
from tests.support.secrets import LOOPBACK, alerts_settings

KEY = {"Authorization": "Bearer key-1"}
ROUTES_FILE = """
[[routes]]
name = "Critical to the on-call list"
match = { severities = ["critical"] }
channels = [{ type = "email", to = ["oncall@example.com"] }]
"""


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES_FILE)
    settings = alerts_settings(
        engine, tmp_path, routes_file=routes, webhook_allow_networks=LOOPBACK
    )
    with TestClient(create_app(settings, background=False)) as test_client:
        yield test_client


def register(client: TestClient, url: str, **extra: object) -> dict[str, str]:
    response = client.post("/v1/webhook-endpoints", json={"url": url, **extra}, headers=KEY)
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


async def test_ping_signs_a_test_message_and_reports_the_answer(client: TestClient) -> None:
    with http_receiver([(503, {})]) as receiver:
        endpoint = register(client, receiver.url)
        first = client.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping", headers=KEY).json()
        second = client.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping", headers=KEY).json()
    assert (first["delivered"], first["status_code"]) == (False, 503)
    assert (second["delivered"], second["status_code"]) == (True, 200)
    payload = Webhook(endpoint["secret"]).verify(
        receiver.requests[1].body, receiver.requests[1].headers
    )
    assert payload["type"] == "webhook.ping"


async def test_rotation_returns_a_new_secret_and_patch_re_enables(client: TestClient) -> None:
    endpoint = register(client, "http://127.0.0.1:9/hook")
    path = f"/v1/webhook-endpoints/{endpoint['id']}"
    rotated = client.post(f"{path}/rotate-secret", headers=KEY).json()
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_secret_until"]
    off = client.patch(path, json={"enabled": False}, headers=KEY).json()
    assert (off["enabled"], off["disabled_reason"]) == (False, "disabled by hand")
    on = client.patch(path, json={"enabled": True, "event_types": ["alert.resolved"]}, headers=KEY)
    assert on.json()["enabled"] and on.json()["disabled_reason"] is None
    assert on.json()["event_types"] == ["alert.resolved"]
    bad = client.patch(path, json={"event_types": ["alert.exploded"]}, headers=KEY)
    assert bad.status_code == 422
    assert client.post("/v1/webhook-endpoints/ep_nope/ping", headers=KEY).status_code == 404


async def test_replay_sends_an_alerts_notifications_again_and_attempts_are_listed(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    with http_receiver() as receiver:
        endpoint = register(client, receiver.url)
        with sessions.begin() as session:
            recorded = record_change(session, risk_change("green", "red"), utcnow())
            assert recorded is not None
        await drain(sessions)
        path = f"/v1/webhook-endpoints/{endpoint['id']}"
        replayed = client.post(f"{path}/replay", json={"alert_id": recorded[0].id}, headers=KEY)
        assert replayed.json() == {"queued": 1}
        await drain(sessions)
    first, again = receiver.requests
    assert first.body == again.body and first.headers["webhook-id"] != again.headers["webhook-id"]
    attempts = client.get(f"{path}/attempts", headers=KEY).json()
    assert [a["status_code"] for a in attempts] == [200, 200]
    assert attempts[0]["alert_id"] == recorded[0].id
    neither = client.post(f"{path}/replay", json={}, headers=KEY)
    assert neither.status_code == 422


def test_routes_are_managed_over_the_api_and_file_routes_are_read_only(client: TestClient) -> None:
    listed = client.get("/v1/routes", headers=KEY).json()
    names = {r["name"]: r for r in listed}
    assert names["Critical to the on-call list"]["from_file"] is True
    assert names["Alerts to the account's CSM owner"]["from_file"] is False
    slack = {"type": "slack", "url": "https://hooks.slack.com/services/T/B/x"}
    route = {"name": "Slack", "match": {"bands": ["red"]}, "channels": [slack]}
    made = client.post("/v1/routes", json=route, headers=KEY)
    assert made.status_code == 201
    route_id = made.json()["id"]
    changed = client.put(f"/v1/routes/{route_id}", json={**route, "enabled": False}, headers=KEY)
    assert changed.json()["enabled"] is False
    file_id = names["Critical to the on-call list"]["id"]
    assert client.delete(f"/v1/routes/{file_id}", headers=KEY).status_code == 409
    assert client.delete(f"/v1/routes/{route_id}", headers=KEY).status_code == 204
    bad = client.post(
        "/v1/routes", json={"name": "x", "channels": [{"type": "pager"}]}, headers=KEY
    )
    assert bad.status_code == 422
