"""Alert episodes on a real database: one alert per account per risk episode, its events, and
the notifications written to the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.alerts.store.endpoints import create_endpoint
from services.alerts.store.episodes import acknowledge, record_change, resolve, snooze, wake_snoozed
from services.alerts.store.outbox import EVENT_TYPES
from services.alerts.tables import AlertEventRow, AlertRow, DeliveryRow, SnoozeRow
from tests.support.changes import risk_change
from tests.support.events import T0
from tests.support.secrets import BOX


def changes(sessions: sessionmaker[Session], *bands: tuple[str, str], start: int = 1) -> None:
    for seq, (previous, current) in enumerate(bands, start=start):
        with sessions.begin() as session:
            record_change(session, risk_change(previous, current, seq=seq), T0)


def state(sessions: sessionmaker[Session]) -> tuple[list[str], list[str], list[str]]:
    """Alert statuses, event kinds and notified event types, in order."""
    with sessions() as session:
        alerts = [a.status for a in session.scalars(select(AlertRow).order_by(AlertRow.created_at))]
        kinds = list(session.scalars(select(AlertEventRow.kind).order_by(AlertEventRow.id)))
        sent = list(
            session.scalars(select(DeliveryRow.event_type).order_by(DeliveryRow.created_at))
        )
    return alerts, kinds, sent


def the_alert(session: Session) -> AlertRow:
    return session.scalars(select(AlertRow)).one()


@pytest.fixture(autouse=True)
def endpoint(sessions: sessionmaker[Session]) -> None:
    """An endpoint taking every event type, so that each notification is written."""
    with sessions.begin() as session:
        create_endpoint(session, "http://127.0.0.1:9/hook", None, list(EVENT_TYPES), T0, BOX)


def test_an_episode_is_one_alert_notified_when_raised_worse_and_over(
    sessions: sessionmaker[Session],
) -> None:
    changes(
        sessions, ("green", "yellow"), ("yellow", "yellow"), ("yellow", "red"), ("red", "green")
    )
    alerts, kinds, sent = state(sessions)
    assert alerts == ["resolved"]
    assert kinds == ["open", "update", "worsen", "resolve"]
    assert sent == ["alert.created", "alert.worsened", "alert.resolved"]
    with sessions() as session:
        alert = the_alert(session)
        assert (alert.resolution, alert.worst_rank, alert.severity) == ("recovered", 0, "critical")
        assert alert.latest_change_id == "acct-1:4"


def test_a_worse_change_wakes_a_snoozed_alert_at_once(sessions: sessionmaker[Session]) -> None:
    changes(sessions, ("green", "yellow"))
    with sessions.begin() as session:
        snooze(session, the_alert(session), T0 + timedelta(hours=4), "kim", "on a call", T0)
    changes(sessions, ("yellow", "yellow"), start=2)
    assert state(sessions)[0] == ["snoozed"]
    changes(sessions, ("yellow", "red"), start=3)
    alerts, kinds, sent = state(sessions)
    assert alerts == ["open"] and kinds == ["open", "snoozed", "update", "worsen"]
    assert sent == ["alert.created", "alert.worsened"]
    with sessions() as session:
        [row] = session.scalars(select(SnoozeRow)).all()
        assert row.end_reason == "worse" and the_alert(session).snoozed_until is None


def test_a_snooze_that_ends_while_at_risk_reopens_and_notifies(
    sessions: sessionmaker[Session],
) -> None:
    changes(sessions, ("green", "red"))
    with sessions.begin() as session:
        snooze(session, the_alert(session), T0 + timedelta(hours=1), "kim", None, T0)
    with sessions.begin() as session:
        assert wake_snoozed(session, T0 + timedelta(minutes=59)) == []
    with sessions.begin() as session:
        assert len(wake_snoozed(session, T0 + timedelta(hours=1))) == 1
    alerts, kinds, sent = state(sessions)
    assert alerts == ["open"] and kinds == ["open", "snoozed", "snooze_ended"]
    assert sent == ["alert.created", "alert.reopened"]


def test_an_acknowledged_alert_is_quiet_until_it_gets_worse(
    sessions: sessionmaker[Session],
) -> None:
    changes(sessions, ("green", "yellow"))
    with sessions.begin() as session:
        acknowledge(session, the_alert(session), "kim", T0)
    changes(sessions, ("yellow", "yellow"), ("yellow", "red"), start=2)
    alerts, kinds, sent = state(sessions)
    assert alerts == ["open"] and kinds == ["open", "acknowledged", "update", "worsen"]
    assert sent == ["alert.created", "alert.worsened"]
    with sessions() as session:
        assert the_alert(session).acknowledged_by == "kim"


def test_a_flapping_account_keeps_one_alert(sessions: sessionmaker[Session]) -> None:
    flaps = [("green", "yellow"), ("yellow", "green")] * 4
    changes(sessions, *flaps)
    alerts, kinds, sent = state(sessions)
    assert alerts == ["resolved"]
    assert kinds == ["open", "resolve"] + ["reopen", "resolve"] * 3
    # the first episode is notified; reopening at the same level is not, recovering is
    assert sent == ["alert.created"] + ["alert.resolved"] * 4


def test_resolving_by_hand_closes_the_episode_until_it_gets_worse(
    sessions: sessionmaker[Session],
) -> None:
    changes(sessions, ("green", "yellow"))
    with sessions.begin() as session:
        resolve(session, the_alert(session), "kim", "customer called back", T0)
    changes(sessions, ("yellow", "yellow"), start=2)
    assert state(sessions)[0] == ["resolved"]  # not at risk afresh: the same level
    changes(sessions, ("yellow", "red"), start=3)
    alerts, _, sent = state(sessions)
    assert alerts == ["open"] and sent[-1] == "alert.reopened"
