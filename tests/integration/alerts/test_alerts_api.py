"""The alerts REST API on a real database: filters and pages, an alert's timeline, acknowledge,
snooze and resolve, and an account's health history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from schemas import HealthSnapshot
from services.alerts.app import create_app
from services.alerts.store.episodes import record_change
from services.alerts.store.health import record_snapshot
from tests.support.changes import risk_change
from tests.support.events import T0
from tests.support.secrets import alerts_settings

KEY = {"Authorization": "Bearer key-1"}


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings = alerts_settings(engine, tmp_path)
    with TestClient(create_app(settings, background=False)) as test_client:
        yield test_client


def raise_alerts(sessions: sessionmaker[Session], count: int) -> None:
    for n in range(count):
        owner = "kim@example.com" if n % 2 else "lee@example.com"
        change = risk_change("green", "red" if n % 3 == 0 else "yellow", account=f"acct-{n}",
                             csm_owner=owner, segment="enterprise" if n < 3 else "smb")  # fmt: skip
        with sessions.begin() as session:
            record_change(session, change, T0)


def pages(client: TestClient, **params: Any) -> list[list[str]]:
    found, cursor = [], None
    while True:
        body = client.get("/v1/alerts", params={**params, "cursor": cursor} if cursor else params,
                          headers=KEY).json()  # fmt: skip
        found.append([a["account_id"] for a in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return found


def test_alerts_are_filtered_and_paged_without_gaps_or_repeats(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    raise_alerts(sessions, 7)
    paged = pages(client, limit=3)
    assert [len(p) for p in paged] == [3, 3, 1]
    assert sorted(a for p in paged for a in p) == [f"acct-{n}" for n in range(7)]
    assert sorted(pages(client, band="red")[0]) == ["acct-0", "acct-3", "acct-6"]
    kim = [a for p in pages(client, owner="kim@example.com") for a in p]
    assert sorted(kim) == ["acct-1", "acct-3", "acct-5"]
    assert sorted(pages(client, segment="enterprise", status="open")[0]) == [
        "acct-0",
        "acct-1",
        "acct-2",
    ]
    bad = client.get("/v1/alerts", params={"cursor": "nonsense"}, headers=KEY)
    assert bad.status_code == 404 and "nonsense" in bad.json()["detail"]


def test_an_alert_is_acknowledged_snoozed_and_resolved_with_its_timeline(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    raise_alerts(sessions, 1)
    [alert] = client.get("/v1/alerts", headers=KEY).json()["items"]
    path = f"/v1/alerts/{alert['id']}"
    acked = client.post(f"{path}/acknowledge", json={"by": "kim"}, headers=KEY).json()
    assert (acked["status"], acked["acknowledged_by"]) == ("acknowledged", "kim")
    snoozed = client.post(f"{path}/snooze", json={"minutes": 60, "note": "QBR"}, headers=KEY)
    assert snoozed.status_code == 200 and snoozed.json()["snoozed_until"]
    both = client.post(
        f"{path}/snooze", json={"minutes": 5, "until": "2030-01-01T00:00:00Z"}, headers=KEY
    )
    assert both.status_code == 422
    done = client.post(f"{path}/resolve", json={"note": "they paid"}, headers=KEY).json()
    assert (done["status"], done["resolution"]) == ("resolved", "manual")
    assert [e["kind"] for e in done["events"]] == ["open", "acknowledged", "snoozed", "resolved"]
    assert done["events"][-1]["actor"].startswith("configured-")  # the API key, by default
    again = client.post(f"{path}/acknowledge", headers=KEY)
    assert again.status_code == 409 and "resolved" in again.json()["detail"]
    assert client.get("/v1/alerts/alert_nope", headers=KEY).status_code == 404


def test_an_accounts_health_history_is_newest_first_and_paged(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    for seq, (previous, current) in enumerate(
        [("unknown", "green"), ("green", "yellow"), ("yellow", "red"), ("red", "yellow")], start=1
    ):
        with sessions.begin() as session:
            record_change(session, risk_change(previous, current, seq=seq), T0)
    first = client.get(
        "/v1/accounts/acct-1/health/history", params={"limit": 3}, headers=KEY
    ).json()
    assert [p["seq"] for p in first] == [4, 3, 2]
    assert first[0]["current"]["band"] == "yellow" and first[0]["reasons"][0]["code"]
    rest = client.get("/v1/accounts/acct-1/health/history", params={"before_seq": 2}, headers=KEY)
    assert [p["seq"] for p in rest.json()] == [1]
    assert client.get("/v1/accounts/nobody/health/history", headers=KEY).json() == []


def test_an_alerts_title_always_says_the_band_and_score_it_shows(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    """The title once kept the band of the change that opened or last worsened the alert while
    `band` followed every change ("acme is yellow (60)" on a green alert)."""
    steps = [("green", "red"), ("red", "yellow"), ("yellow", "green")]
    for seq, (previous, current) in enumerate(steps, start=1):
        with sessions.begin() as session:
            record_change(session, risk_change(previous, current, seq=seq), T0)
        [alert] = client.get("/v1/alerts", headers=KEY).json()["items"]
        score = f"{alert['score']:.0f}"
        assert alert["band"] == current
        assert alert["title"].startswith(f"acct-1 is {current} ({score}): "), alert["title"]
        assert alert["change"]["current"]["band"] == current
    assert alert["status"] == "resolved"


def test_an_accounts_health_says_why_it_is_where_it_is_now(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        record_change(session, risk_change("green", "red", seq=1), T0)
        record_snapshot(session, HealthSnapshot(
            account_id="acct-1", score=20.0, band="red", components=[], model_version="test",
            as_of=T0, updated_at=T0, last_change_seq=1, events_seen=3,
        ))  # fmt: skip
    health = client.get("/v1/accounts/acct-1/health", headers=KEY).json()
    assert health["band"] == "red" and health["reasons"] == ["Usage fell."]
    [point] = client.get("/v1/accounts/acct-1/health/history", headers=KEY).json()
    assert point["occurred_at"] and point["emitted_at"]
