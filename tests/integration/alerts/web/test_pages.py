"""The workspace's pages on a real database: accounts ranked by risk with their filters, an
account's story, the alerts inbox and its actions, live checks, deliveries and replay."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from schemas import HealthSnapshot, RiskChange
from services.alerts.app import create_app
from services.alerts.store.alerts import utcnow
from services.alerts.store.episodes import record_change
from services.alerts.store.health import record_snapshot
from services.alerts.tables import AccountHealthRow, AlertRow, DeliveryRow, HealthChangeRow
from services.alerts.web.feed import merge_health
from tests.support.secrets import alerts_settings
from tests.support.workspace import csrf_of, seed_account, sign_in

NOW = datetime.now(UTC)


@pytest.fixture
def client(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[TestClient]:
    seed_account(sessions, "acme", "red", NOW, name="Acme Corp", score=22.0, critical=True)
    seed_account(sessions, "bolt", "yellow", NOW, name="Bolt Labs", owner="lee@example.com")
    seed_account(sessions, "cora", "green", NOW, name="Cora", segment="smb", stale=("support",))
    seed_account(sessions, "dyna", "red", NOW, name="Dyna", score=30.0, segment="smb")
    with TestClient(create_app(alerts_settings(engine, tmp_path), background=False)) as client:
        sign_in(client, "key-1", email="kim@example.com")
        yield client


def listed(client: TestClient, query: str = "") -> list[str]:
    page = client.get("/accounts" + query)
    assert page.status_code == 200, page.text
    return re.findall(r'class="account-name" href="/accounts/([^"]+)"', page.text)


def test_accounts_are_ranked_by_risk_then_score(client: TestClient) -> None:
    assert listed(client) == ["acme", "dyna", "bolt", "cora"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?band=red", ["acme", "dyna"]),
        ("?segment=smb", ["dyna", "cora"]),
        ("?owner=lee%40example.com", ["bolt"]),
        ("?owner=mine", ["acme", "dyna", "cora"]),
        ("?stale=1", ["cora"]),
        ("?open=1", ["acme", "dyna", "bolt"]),
        ("?q=labs", ["bolt"]),
        ("?q=ACM", ["acme"]),
        ("?q=%25", []),
        ("?band=red&segment=smb&open=1", ["dyna"]),
    ],
)
def test_accounts_are_filtered(client: TestClient, query: str, expected: list[str]) -> None:
    assert listed(client, query) == expected


def test_a_bad_filter_is_a_clear_error(client: TestClient) -> None:
    answer = client.get("/accounts?band=purple", headers={"accept": "text/html"})
    assert answer.status_code == 422 and "purple" in answer.text
    assert "is not one of red, yellow, green, unknown" in answer.text
    assert client.get("/accounts?page=0").status_code == 422


def test_each_account_shows_its_sparkline_band_entry_and_top_reason(client: TestClient) -> None:
    page = client.get("/accounts?q=acme").text
    assert "<polyline points=" in page
    assert "2 days ago" in page  # in red since the change two days ago
    assert "Usage fell by half." in page
    assert "Open alert" in page


def test_an_account_is_in_its_band_since_its_latest_change_into_it(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    seed_account(sessions, "late", "red", NOW)  # red since 2 days ago (change 2)
    with sessions.begin() as session:
        red = RiskChange.model_validate(session.get(HealthChangeRow, "late:2").payload)  # type: ignore[union-attr]
        # change 3, made now, moves it to yellow on an event of 6 days ago (a late event)
        yellow = red.model_copy(
            update={"change_id": "late:3", "seq": 3, "occurred_at": NOW - timedelta(days=6),
                    "emitted_at": NOW, "previous": red.current,
                    "current": red.current.model_copy(update={"score": 50.0, "band": "yellow"})}
        )  # fmt: skip
        record_change(session, yellow, NOW)
        snapshot = HealthSnapshot.model_validate(session.get(AccountHealthRow, "late").snapshot)  # type: ignore[union-attr]
        moved = snapshot.model_copy(
            update={"band": "yellow", "score": 50.0, "last_change_seq": 3, "updated_at": NOW}
        )
        record_snapshot(session, moved)
        merge_health(session, moved)
    page = client.get("/accounts?q=late").text
    assert "6 days ago" in page and "2 days ago" not in page


def test_accounts_are_paged(client: TestClient, sessions: sessionmaker[Session]) -> None:
    for n in range(30):
        seed_account(sessions, f"zz-{n:02d}", "green", NOW, score=90.0 - n / 10)
    first, second = listed(client, "?page=1"), listed(client, "?page=2")
    assert len(first) == 25 and len(second) == 9 and not set(first) & set(second)
    assert "Page 2 of 2" in client.get("/accounts?page=2").text


def test_the_account_page_tells_its_story(client: TestClient) -> None:
    page = client.get("/accounts/acme")
    assert page.status_code == 200
    text = page.text
    assert "Acme Corp" in text and "Why it is red" in text
    assert "Current score" in text and "Score at its latest change" in text  # which is which
    assert 'class="zone zone-red"' in text and text.count('class="marker marker-') == 2
    assert "Usage fell by half." in text  # the current reason
    assert "60%" in text and "13.2" in text  # usage: weight and contribution
    assert "happened" in text and "recorded" in text  # both times of each change
    assert "acme-ev-2" in text and "Payment failed" in text  # the event that caused it
    assert "Alert raised" in text  # the alert's timeline
    assert "1,200" in text and "Active" in text  # traits
    missing = client.get("/accounts/nobody", headers={"accept": "text/html"})
    assert missing.status_code == 404 and "nobody" in missing.text


def test_the_account_page_refreshes_only_when_the_health_moved(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    page = client.get("/accounts/bolt").text
    version = re.search(r'data-version="([^"]+)"', page)
    assert version
    live = f"/accounts/bolt/live?version={version.group(1)}"
    assert client.get(live).status_code == 204
    seed_account(sessions, "bolt", "yellow", NOW + timedelta(minutes=1), score=41.0)
    moved = client.get(live)
    assert moved.status_code == 200 and ">41<" in moved.text


def _alert_id(client: TestClient, account: str) -> str:
    page = client.get(f"/alerts?q={account}&status=all").text
    found = re.search(r'id="alert-([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_the_inbox_puts_open_alerts_first(client: TestClient) -> None:
    page = client.get("/alerts")
    token = csrf_of(page)
    bolt = _alert_id(client, "bolt")
    client.post(f"/alerts/{bolt}/acknowledge", data={"csrf": token})
    order = re.findall(r'id="alert-[^"]+" data-status="(\w+)"', client.get("/alerts").text)
    assert order == ["open", "open", "acknowledged"]
    assert re.findall(r'data-status="(\w+)"', client.get("/alerts?status=open").text) == [
        "open", "open",
    ]  # fmt: skip


def test_the_inbox_is_filtered_like_the_accounts(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    seed_account(sessions, "erin", "yellow", NOW, segment="smb", stale=("support",))

    def accounts_of(query: str) -> list[str]:
        page = client.get("/alerts" + query)
        assert page.status_code == 200, page.text
        return re.findall(r'<h3><a href="/accounts/([^"]+)"', page.text)

    assert accounts_of("?stale=1") == ["erin"]
    assert sorted(accounts_of("?band=red")) == ["acme", "dyna"]
    assert sorted(accounts_of("?segment=smb")) == ["dyna", "erin"]
    assert accounts_of("?owner=lee%40example.com") == ["bolt"]
    assert accounts_of("?q=labs") == ["bolt"]
    assert 'name="stale" value="1" checked' in client.get("/alerts?stale=1").text


def test_alerts_are_acknowledged_snoozed_assigned_and_resolved(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    token = csrf_of(client.get("/alerts"))
    alert_id = _alert_id(client, "acme")
    htmx = {"HX-Request": "true", "X-CSRF-Token": token}
    acked = client.post(f"/alerts/{alert_id}/acknowledge", headers=htmx)
    assert acked.status_code == 200 and 'data-status="acknowledged"' in acked.text
    day = (utcnow() + timedelta(days=3)).date().isoformat()
    snoozed = client.post(f"/alerts/{alert_id}/snooze", data={"until": day}, headers=htmx)
    assert 'data-status="snoozed"' in snoozed.text and "snoozed until" in snoozed.text
    past = client.post(f"/alerts/{alert_id}/snooze", data={"until": "2020-01-01"}, headers=htmx)
    assert past.status_code == 422 and "future" in past.text
    assigned = client.post(
        f"/alerts/{alert_id}/assign", data={"assignee": "lee@example.com"}, headers=htmx
    )
    assert "assigned to lee@example.com" in assigned.text
    nobody = client.post(f"/alerts/{alert_id}/assign", data={"assignee": "x"}, headers=htmx)
    assert nobody.status_code == 422
    assert _alert_id(client, "acme") in client.get("/alerts?owner=lee%40example.com").text
    plain = client.post(
        f"/alerts/{alert_id}/resolve",
        data={"csrf": token, "note": "Paid by card", "back": "/alerts"}, follow_redirects=False,
    )  # fmt: skip
    assert plain.status_code == 303 and plain.headers["location"] == "/alerts"
    with sessions() as session:
        alert = session.get(AlertRow, alert_id)
        assert alert is not None and alert.status == "resolved"
    story = client.get("/accounts/acme").text
    for step in ("Acknowledged", "Snoozed", "Assigned", "Resolved", "Paid by card"):
        assert step in story
    again = client.post(f"/alerts/{alert_id}/acknowledge", headers=htmx)
    assert again.status_code == 409


def test_the_inbox_answers_its_live_check_only_when_alerts_changed(client: TestClient) -> None:
    page = client.get("/alerts").text
    since = re.search(r"/alerts/live\?since=([^&\"]+)", page)
    assert since
    assert client.get(f"/alerts/live?since={since.group(1)}").status_code == 204
    client.post(
        f"/alerts/{_alert_id(client, 'dyna')}/acknowledge",
        headers={"X-CSRF-Token": csrf_of(client.get("/alerts"))},
    )
    fresh = client.get(f"/alerts/live?since={since.group(1)}")
    assert fresh.status_code == 200 and 'id="inbox"' in fresh.text
    assert client.get("/alerts/live?since=yesterday").status_code == 422


def test_a_delivery_that_gave_up_is_replayed(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        failed = session.scalars(select(DeliveryRow)).first()
        assert failed is not None
        failed.status, failed.last_error = "gave_up", "connection refused"
        failed_id = failed.id
    page = client.get("/deliveries")
    assert "Gave up" in page.text and "connection refused" in page.text
    answer = client.post(
        f"/deliveries/{failed_id}/replay", data={"csrf": csrf_of(page)}, follow_redirects=False
    )
    assert answer.status_code == 303
    with sessions() as session:
        pending = session.scalars(select(DeliveryRow).where(DeliveryRow.status == "pending"))
        assert any(d.body == failed.body and d.id != failed_id for d in pending)
    twice = client.post(f"/deliveries/{answer.headers['location'].split('=')[1]}/replay",
                        data={"csrf": csrf_of(page)})  # fmt: skip
    assert twice.status_code == 409
