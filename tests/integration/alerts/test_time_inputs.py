"""Property-based: times, numbers and strings sent to the alerts API over their edges (the calendar,
UTC offsets, non-finite and huge numbers, control characters) answer 4xx naming the field, never
5xx: snooze `until`, `minutes` and `note`, replay `since` and `until`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.alerts.app import create_app
from services.alerts.store.episodes import record_change
from tests.support.changes import risk_change
from tests.support.edges import IDS, NON_FINITE, NUMBERS, edge_times, in_utc
from tests.support.events import T0
from tests.support.secrets import LOOPBACK, alerts_settings

KEY = {"Authorization": "Bearer key-1"}
EDGES = settings(
    max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings_ = alerts_settings(engine, tmp_path, webhook_allow_networks=LOOPBACK)
    with TestClient(create_app(settings_, background=False)) as test_client:
        yield test_client


def leaves_the_calendar(text: str) -> bool:
    """Whether the time, converted to UTC, falls outside years 1-9999."""
    return in_utc(text) is None


def raise_alert(sessions: sessionmaker[Session]) -> str:
    with sessions.begin() as session:
        recorded = record_change(session, risk_change("green", "red"), T0)
    assert recorded is not None
    return recorded[0].id


def test_snooze_until_any_time_is_never_a_server_error(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    alert = raise_alert(sessions)

    @EDGES
    @given(until=edge_times())
    @example(until="9999-12-31T23:59:59-23:59")
    @example(until="0001-01-01T00:00:00+01:00")
    def snooze(until: str) -> None:
        response = client.post(f"/v1/alerts/{alert}/snooze", json={"until": until}, headers=KEY)
        assert response.status_code < 500, response.text
        if leaves_the_calendar(until):
            assert response.status_code == 422
            assert response.json()["detail"][0]["loc"] == ["until"]

    snooze()


def test_replay_since_and_until_any_time_is_never_a_server_error(client: TestClient) -> None:
    created = client.post(
        "/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hook"}, headers=KEY
    )
    assert created.status_code == 201, created.text
    path = f"/v1/webhook-endpoints/{created.json()['id']}/replay"

    @EDGES
    @given(since=edge_times(), until=edge_times() | st.none())
    @example(since="0001-01-01T00:00:00+01:00", until=None)
    @example(since="2026-01-01T00:00:00Z", until="9999-12-31T23:59:59-23:59")
    def replay(since: str, until: str | None) -> None:
        body = {"since": since, **({"until": until} if until else {})}
        response = client.post(path, json=body, headers=KEY)
        assert response.status_code < 500, response.text
        wrong = [f for f, t in (("since", since), ("until", until)) if t and leaves_the_calendar(t)]
        if wrong:
            assert response.status_code == 422
            assert [e["loc"] for e in response.json()["detail"]] == [[f] for f in wrong]

    replay()


def test_snooze_minutes_and_notes_at_the_edges_are_never_a_server_error(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    alert = raise_alert(sessions)

    @EDGES
    @given(minutes=NUMBERS | NON_FINITE, note=IDS)
    @example(minutes=float("inf"), note="n")
    @example(minutes=10**30, note="a\x00b")
    def snooze(minutes: Any, note: str) -> None:
        body = json.dumps({"minutes": minutes, "note": note}).encode()
        headers = {**KEY, "content-type": "application/json"}
        response = client.post(f"/v1/alerts/{alert}/snooze", content=body, headers=headers)
        assert response.status_code < 500, response.text
        whole = isinstance(minutes, int) or (isinstance(minutes, float) and minutes.is_integer())
        if not (whole and 1 <= minutes <= 60 * 24 * 90):
            assert response.status_code == 422, response.text
            assert ["minutes"] in [e["loc"] for e in response.json()["detail"]]

    snooze()
