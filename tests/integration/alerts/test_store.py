"""Storing changes, alerts, the outbox and snapshots on a real database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from schemas import HealthSnapshot
from services.alerts.store.alerts import AlertFilter, list_alerts
from services.alerts.store.endpoints import create_endpoint
from services.alerts.store.episodes import record_change
from services.alerts.store.health import record_snapshot
from services.alerts.store.outbox import claim_due
from services.alerts.tables import AccountHealthRow, AlertRow, DeliveryRow, HealthChangeRow
from tests.support.changes import risk_change
from tests.support.events import T0
from tests.support.secrets import BOX


def count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_change_is_stored_once_however_often_it_arrives(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        create_endpoint(session, "http://127.0.0.1:9/hook", None, ["alert.created"], T0, BOX)
    for _ in range(3):
        with sessions.begin() as session:
            record_change(session, risk_change("green", "red"), T0)
    with sessions() as session:
        assert (
            count(session, HealthChangeRow),
            count(session, AlertRow),
            count(session, DeliveryRow),
        ) == (1, 1, 1)


def test_only_changes_for_the_worse_raise_alerts_and_deliveries(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        create_endpoint(session, "http://127.0.0.1:9/a", None, ["alert.created"], T0, BOX)
        create_endpoint(
            session, "http://127.0.0.1:9/b", None, ["alert.created"], T0, BOX
        ).enabled = False
    with sessions.begin() as session:
        assert record_change(session, risk_change("unknown", "green", seq=1), T0) is None
        recorded = record_change(session, risk_change("green", "yellow", seq=2), T0)
        assert recorded is not None
        alert = recorded[0]
        assert alert.severity == "warning"
    with sessions() as session:
        [delivery] = session.scalars(select(DeliveryRow)).all()
        assert delivery.alert_id == alert.id and delivery.status == "pending"
        assert b'"type":"alert.created"' in delivery.body
        [(listed, change)] = list_alerts(session, AlertFilter(account_id="acct-1"), 10)
        assert listed.id == alert.id and change["change_id"] == "acct-1:2"
        assert list_alerts(session, AlertFilter(band="red"), 10) == []


def test_only_the_newest_snapshot_is_kept(sessions: sessionmaker[Session]) -> None:
    def snap(seq: int, minutes: int) -> HealthSnapshot:
        updated = T0 + timedelta(minutes=minutes)
        return HealthSnapshot(
            account_id="acct-1", score=50.0 + seq, band="yellow", components=[], model_version="t",
            as_of=T0, updated_at=updated, last_change_seq=seq, events_seen=seq,
        )  # fmt: skip

    for seq, minutes in ((1, 1), (3, 3), (2, 2)):
        with sessions.begin() as session:
            record_snapshot(session, snap(seq, minutes))
    with sessions() as session:
        row = session.get(AccountHealthRow, "acct-1")
        assert (
            row is not None
            and row.last_change_seq == 3
            and row.updated_at == T0 + timedelta(minutes=3)
        )


def test_a_leased_delivery_is_not_claimed_twice(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        create_endpoint(session, "http://127.0.0.1:9/hook", None, ["alert.created"], T0, BOX)
        for n in range(1, 4):
            record_change(session, risk_change("green", "red", account=f"acct-{n}"), T0)
    lease = timedelta(seconds=30)
    with sessions.begin() as session:
        first = [row.id for row in claim_due(session, T0, lease, 2)]
    with sessions.begin() as session:
        second = [row.id for row in claim_due(session, T0, lease, 10)]
    with sessions.begin() as session:
        after_lease = [row.id for row in claim_due(session, T0 + lease * 2, lease, 10)]
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    assert sorted(after_lease) == sorted(first + second)
