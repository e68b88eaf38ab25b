"""Alerts as rows and as the contract shows them: the view, filters, pages, timelines."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from schemas import RiskChange
from schemas.alerts import Alert
from services.alerts.tables import AlertEventRow, AlertRow, HealthChangeRow

SEVERITY_RANK = {"warning": 0, "critical": 1}


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def alert_title(change: RiskChange) -> str:
    """A one-line summary of the alert as it is now: the band and score of its latest change
    (the alert's own `band` and `score`) and that change's top reason."""
    score = "no score" if change.current.score is None else f"{change.current.score:.0f}"
    return f"{change.account_id} is {change.current.band} ({score}): {change.reasons[0].message}"


def alert_view(alert: AlertRow, change: dict[str, Any]) -> Alert:
    """The alert as the API, the channels and webhooks show it, with its latest change."""
    return Alert.model_validate(
        {
            "id": alert.id,
            "account_id": alert.account_id,
            "status": alert.status,
            "severity": alert.severity,
            "band": alert.band,
            "score": alert.score,
            "title": alert.title,
            "segment": alert.segment,
            "csm_owner": alert.csm_owner,
            "created_at": alert.created_at,
            "updated_at": alert.updated_at,
            "acknowledged_at": alert.acknowledged_at,
            "acknowledged_by": alert.acknowledged_by,
            "snoozed_until": alert.snoozed_until,
            "resolved_at": alert.resolved_at,
            "resolution": alert.resolution,
            "change": RiskChange.model_validate(change),
        }
    )


def latest_alert(session: Session, account_id: str) -> AlertRow | None:
    """The account's most recent alert (its current or last risk episode)."""
    query = (
        select(AlertRow)
        .where(AlertRow.account_id == account_id)
        .order_by(AlertRow.created_at.desc(), AlertRow.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def change_of(session: Session, alert: AlertRow) -> dict[str, Any]:
    """The payload of the alert's latest change."""
    row = session.get(HealthChangeRow, alert.latest_change_id or alert.change_id)
    return {} if row is None else row.payload


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts to list; None matches anything."""

    account_id: str | None = None
    band: str | None = None
    status: str | None = None
    owner: str | None = None
    segment: str | None = None


def list_alerts(
    session: Session, where: AlertFilter, limit: int, after: tuple[datetime, str] | None = None
) -> list[tuple[AlertRow, dict[str, Any]]]:
    """Newest alerts first with their latest changes; `after` is the (created_at, id) of the
    last alert of the previous page."""
    query = (
        select(AlertRow, HealthChangeRow.payload)
        .join(
            HealthChangeRow,
            HealthChangeRow.change_id
            == func.coalesce(AlertRow.latest_change_id, AlertRow.change_id),
        )
        .order_by(AlertRow.created_at.desc(), AlertRow.id.desc())
        .limit(limit)
    )
    for column, value in (
        (AlertRow.account_id, where.account_id),
        (AlertRow.band, where.band),
        (AlertRow.status, where.status),
        (AlertRow.csm_owner, where.owner),
        (AlertRow.segment, where.segment),
    ):
        if value is not None:
            query = query.where(column == value)
    if after is not None:
        created, alert_id = after
        query = query.where(
            or_(
                AlertRow.created_at < created,
                and_(AlertRow.created_at == created, AlertRow.id < alert_id),
            )
        )
    return [(alert, payload) for alert, payload in session.execute(query).tuples()]


def alert_events(session: Session, alert_id: str) -> list[AlertEventRow]:
    """What happened to an alert, oldest first."""
    query = select(AlertEventRow).where(AlertEventRow.alert_id == alert_id)
    return list(session.scalars(query.order_by(AlertEventRow.id)))


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)
