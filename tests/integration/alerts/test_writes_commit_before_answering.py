"""Every write of the alerts API is committed before its answer leaves: a client that has the
answer can use what it made at once, on a real server whose database commits slowly."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from services.alerts.app import create_app
from services.alerts.store.alerts import utcnow
from services.alerts.store.episodes import record_change
from tests.support.changes import risk_change
from tests.support.live_app import live_app
from tests.support.receiver import http_receiver
from tests.support.secrets import LOOPBACK, alerts_settings

KEY = {"Authorization": "Bearer key-1"}
COMMIT_DELAY_S = 0.3


@pytest.fixture
def api(engine: Engine, tmp_path: Path) -> Iterator[httpx.Client]:
    settings = alerts_settings(engine, tmp_path, webhook_allow_networks=LOOPBACK)
    app = create_app(settings, background=False)

    def slow_commit(*_: Any) -> None:  # a busy database: the commit lands late
        time.sleep(COMMIT_DELAY_S)

    app_engine = app.state.sessions.kw["bind"]
    event.listen(app_engine, "commit", slow_commit)
    with live_app(app) as url, httpx.Client(base_url=url, headers=KEY, timeout=10) as client:
        yield client


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json() if response.content else None


def test_a_registered_endpoint_can_be_used_at_once(api: httpx.Client) -> None:
    with http_receiver() as receiver:
        for _ in range(3):
            endpoint = ok(api.post("/v1/webhook-endpoints", json={"url": receiver.url}), 201)
            path = f"/v1/webhook-endpoints/{endpoint['id']}"
            ok(api.patch(path, json={"description": "CRM"}))
            assert endpoint["id"] in [e["id"] for e in ok(api.get("/v1/webhook-endpoints"))]
            rotated = ok(api.post(f"{path}/rotate-secret"))
            assert ok(api.post(f"{path}/ping"))["delivered"]
            ok(api.get(f"{path}/attempts"))
            assert ok(api.post(f"{path}/replay", json={"since": "2026-01-01T00:00:00Z"})) == {
                "queued": 0
            }
            assert ok(api.post(f"{path}/rotate-secret"))["secret"] != rotated["secret"]


def test_a_created_route_can_be_used_at_once(api: httpx.Client) -> None:
    spec = {"name": "smb", "match": {"segments": ["smb"]}, "channels": [{"type": "csm_owner"}]}
    route = ok(api.post("/v1/routes", json=spec), 201)
    path = f"/v1/routes/{route['id']}"
    assert ok(api.get(path))["name"] == "smb"
    assert ok(api.put(path, json={**spec, "name": "small"}))["name"] == "small"
    assert ok(api.get(path))["name"] == "small"
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404


def test_acting_on_an_alert_shows_at_once(api: httpx.Client, engine: Engine) -> None:
    from services.db.sql import session_factory

    with session_factory(engine).begin() as session:
        record_change(session, risk_change("green", "red"), utcnow())
    [alert] = ok(api.get("/v1/alerts"))["items"]
    path = f"/v1/alerts/{alert['id']}"
    ok(api.post(f"{path}/acknowledge", json={}))
    assert ok(api.get(path))["status"] == "acknowledged"
    ok(api.post(f"{path}/snooze", json={"minutes": 60}))
    assert ok(api.get(path))["status"] == "snoozed"
    ok(api.post(f"{path}/resolve", json={}))
    assert ok(api.get(path))["status"] == "resolved"
