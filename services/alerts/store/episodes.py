"""Risk episodes: a change applied to its account's alert, and what people do to alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas import RiskChange
from services.alerts.channels.base import Delivering
from services.alerts.lifecycle import (
    NOTIFY,
    Decision,
    Episode,
    Policy,
    Status,
    critical_codes,
    decide,
    rank,
    severity_of,
)
from services.alerts.store.alerts import SEVERITY_RANK, alert_title, change_of, latest_alert, new_id
from services.alerts.store.outbox import enqueue
from services.alerts.tables import (
    AlertEventRow,
    AlertRow,
    HealthChangeRow,
    SnoozeRow,
)


def episode_of(alert: AlertRow) -> Episode:
    """What the lifecycle decision needs of an alert."""
    status: Status = alert.status  # type: ignore[assignment]
    return Episode(status, alert.worst_rank, frozenset(alert.critical_seen), alert.resolved_at)


def _event(session: Session, alert: AlertRow, kind: str, now: datetime, **fields: Any) -> None:
    session.add(AlertEventRow(alert_id=alert.id, kind=kind, at=now, **fields))


def _take(alert: AlertRow, change: RiskChange, now: datetime, worse: bool) -> None:
    """Fold a change into its episode's alert."""
    alert.latest_change_id = change.change_id
    alert.band, alert.score, alert.updated_at = change.current.band, change.current.score, now
    alert.segment, alert.csm_owner = change.segment, change.csm_owner
    alert.worst_rank = min(alert.worst_rank, rank(change.current.band))
    alert.critical_seen = sorted(set(alert.critical_seen) | critical_codes(change))
    alert.title = alert_title(change)  # always the current state, never an older band
    if worse:
        severity = severity_of(change) or alert.severity
        if SEVERITY_RANK[severity] > SEVERITY_RANK[alert.severity]:
            alert.severity = severity


def _end_snooze(session: Session, alert: AlertRow, now: datetime, reason: str) -> None:
    open_snooze = session.scalar(
        select(SnoozeRow).where(SnoozeRow.alert_id == alert.id, SnoozeRow.ended_at.is_(None))
    )
    if open_snooze is not None:
        open_snooze.ended_at, open_snooze.end_reason = now, reason
    alert.snoozed_until = None


def record_change(
    session: Session,
    change: RiskChange,
    now: datetime,
    policy: Policy = Policy(),
    delivering: Delivering = Delivering(),
) -> tuple[AlertRow, Decision] | None:
    """Store a change once and apply it to the account's alert; None when it was already
    stored or concerns no alert. Notifications go to the outbox in the same transaction."""
    if session.get(HealthChangeRow, change.change_id) is not None:
        return None
    payload = change.model_dump(mode="json")
    session.add(
        HealthChangeRow(
            change_id=change.change_id,
            account_id=change.account_id,
            seq=change.seq,
            occurred_at=change.occurred_at,
            emitted_at=change.emitted_at,
            previous_band=change.previous.band,
            current_band=change.current.band,
            current_score=change.current.score,
            payload=payload,
        )
    )
    session.flush()
    latest = latest_alert(session, change.account_id)
    decision = decide(None if latest is None else episode_of(latest), change, now, policy)
    if decision.action == "none":
        return None
    if decision.action == "open" or latest is None:
        alert = AlertRow(
            id=new_id("alert"),
            change_id=change.change_id,
            account_id=change.account_id,
            severity=severity_of(change) or "warning",
            status="open",
            worst_rank=rank(change.current.band),
            critical_seen=[],
            title=alert_title(change),
            created_at=now,
        )
        session.add(alert)
        _take(alert, change, now, worse=False)
    else:
        alert = latest
        if decision.action == "resolve":
            alert.status, alert.resolved_at, alert.resolution = "resolved", now, "recovered"
            _end_snooze(session, alert, now, "recovered")
            alert.latest_change_id, alert.band = change.change_id, change.current.band
            alert.score, alert.updated_at = change.current.score, now
            alert.title = alert_title(change)
        else:
            _take(alert, change, now, worse=decision.notify)
            if decision.action == "reopen" or (decision.notify and alert.status != "open"):
                if alert.status == "snoozed":
                    _end_snooze(session, alert, now, "worse")
                alert.status, alert.resolved_at, alert.resolution = "open", None, None
    session.flush()
    _event(session, alert, decision.action, now, change_id=change.change_id)
    if decision.event_type is not None:
        enqueue(session, alert, decision.event_type, payload, now, delivering)
    return alert, decision


class AlertStateError(ValueError):
    """The alert cannot make that move (e.g. acknowledging a resolved alert)."""


def acknowledge(session: Session, alert: AlertRow, actor: str, now: datetime) -> None:
    """Someone is on it: the alert stays quiet until it gets worse."""
    if alert.status == "resolved":
        raise AlertStateError("a resolved alert cannot be acknowledged")
    if alert.status == "snoozed":
        _end_snooze(session, alert, now, "acknowledged")
    alert.status, alert.acknowledged_at, alert.acknowledged_by = "acknowledged", now, actor
    alert.updated_at = now
    _event(session, alert, "acknowledged", now, actor=actor)


def snooze(
    session: Session, alert: AlertRow, until: datetime, actor: str, note: str | None, now: datetime
) -> None:
    """Silence the alert until `until`; it reopens then if still at risk, or at once if worse."""
    if alert.status == "resolved":
        raise AlertStateError("a resolved alert cannot be snoozed")
    if until <= now:
        raise AlertStateError("snooze until a time in the future")
    if alert.status == "snoozed":
        _end_snooze(session, alert, now, "replaced")
    session.add(SnoozeRow(alert_id=alert.id, until=until, actor=actor, note=note, created_at=now))
    alert.status, alert.snoozed_until, alert.updated_at = "snoozed", until, now
    _event(session, alert, "snoozed", now, actor=actor, note=note)


def resolve(session: Session, alert: AlertRow, actor: str, note: str | None, now: datetime) -> None:
    """Close the episode by hand; a new one starts only if the account gets worse."""
    if alert.status == "resolved":
        raise AlertStateError("the alert is already resolved")
    if alert.status == "snoozed":
        _end_snooze(session, alert, now, "resolved")
    alert.status, alert.resolved_at, alert.resolution = "resolved", now, "manual"
    alert.updated_at = now
    _event(session, alert, "resolved", now, actor=actor, note=note)


def wake_snoozed(
    session: Session, now: datetime, delivering: Delivering = Delivering()
) -> list[AlertRow]:
    """Reopen alerts whose snooze ended (they are still at risk: recovery resolves them) and
    notify."""
    due = session.scalars(
        select(AlertRow).where(AlertRow.status == "snoozed", AlertRow.snoozed_until <= now)
    ).all()
    for alert in due:
        _end_snooze(session, alert, now, "expired")
        alert.status, alert.updated_at = "open", now
        _event(session, alert, "snooze_ended", now)
        enqueue(session, alert, NOTIFY["reopen"], change_of(session, alert), now, delivering)
    return list(due)
