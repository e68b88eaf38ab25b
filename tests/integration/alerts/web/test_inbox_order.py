"""The inbox's order on a real database: open before acknowledged, snoozed and resolved, critical
before warning, latest activity first, kept by every write; pages follow it without gaps and
the status filters pick their part of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.alerts.store.episodes import acknowledge, resolve, snooze
from services.alerts.tables import AlertRow, urgency
from services.alerts.web.queries import AccountFilter, inbox
from tests.support.workspace import seed_account

NOW = datetime.now(UTC)


def _seed(sessions: sessionmaker[Session]) -> None:
    accounts = [
        ("acme", "red", True), ("bolt", "yellow", False), ("cora", "red", False),
        ("dyna", "yellow", False), ("echo", "red", True), ("fina", "yellow", False),
    ]  # fmt: skip
    for n, (account, band, critical) in enumerate(accounts):
        seed_account(sessions, account, band, NOW - timedelta(hours=n), critical=critical)
    with sessions.begin() as session:
        by_account = {a.account_id: a for a in session.scalars(select(AlertRow))}
        acknowledge(session, by_account["bolt"], "kim@example.com", NOW)
        snooze(session, by_account["cora"], NOW + timedelta(days=2), "kim@example.com", None, NOW)
        resolve(session, by_account["dyna"], "kim@example.com", "Called them", NOW)


def _ids(session: Session, where: AccountFilter, size: int) -> list[str]:
    first = inbox(session, where, 1, size)
    pages = [first] + [inbox(session, where, n, size) for n in range(2, first.pages + 1)]
    return [line.alert.id for found in pages for line in found.items]


def test_every_write_keeps_an_alerts_place_in_the_inbox(sessions: sessionmaker[Session]) -> None:
    _seed(sessions)
    with sessions() as session:
        alerts = session.scalars(select(AlertRow)).all()
    assert {a.status for a in alerts} == {"open", "acknowledged", "snoozed", "resolved"}
    for alert in alerts:
        assert alert.urgency == urgency(alert.status, alert.severity)
        assert alert.updated_at is not None


def test_pages_of_the_inbox_follow_its_order_without_gaps(sessions: sessionmaker[Session]) -> None:
    _seed(sessions)
    with sessions() as session:
        alerts = session.scalars(select(AlertRow)).all()
        ordered = sorted(alerts, key=lambda a: (a.urgency, a.updated_at, a.id), reverse=True)
        assert _ids(session, AccountFilter(), size=2) == [a.id for a in ordered]
    statuses = [a.status for a in ordered]
    assert statuses == sorted(statuses, key=["open", "acknowledged", "snoozed", "resolved"].index)
    opened = [a.severity for a in ordered if a.status == "open"]
    assert set(opened) == {"critical", "warning"}
    assert opened == sorted(opened, key=["critical", "warning"].index)
    latest = [a.updated_at for a in ordered if a.status == "open" and a.severity == "critical"]
    assert len(latest) > 1 and latest == sorted(latest, reverse=True)


def test_status_filters_pick_their_part_of_the_order(sessions: sessionmaker[Session]) -> None:
    _seed(sessions)
    with sessions() as session:
        everything = _ids(session, AccountFilter(), size=25)
        status = {a.id: a.status for a in session.scalars(select(AlertRow))}
        for wanted in ("open", "acknowledged", "snoozed", "resolved"):
            found = _ids(session, AccountFilter(status=wanted), size=1)
            assert found == [i for i in everything if status[i] == wanted]
        active = _ids(session, AccountFilter(status="active"), size=2)
        assert active == [i for i in everything if status[i] != "resolved"]
