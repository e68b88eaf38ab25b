"""Reading and writing alerts, changes, endpoints, deliveries and account health."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from schemas import HealthSnapshot, RiskChange
from schemas.health import BAND_RANK
from services.alerts.signing import new_secret
from services.alerts.tables import (
    AccountHealthRow,
    AlertRow,
    DeliveryRow,
    HealthChangeRow,
    WebhookEndpointRow,
)
from services.codec import dumps

ALERT_CREATED = "alert.created"
EVENT_TYPES = (ALERT_CREATED,)
CRITICAL_REASONS = frozenset(
    {
        "billing.payment_failed",
        "billing.dispute_opened",
        "billing.cancellation_scheduled",
        "support.urgent_ticket",
    }
)


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def severity_of(change: RiskChange) -> str | None:
    """The alert severity a change deserves: None unless health worsened or a signal is critical."""
    current, previous = change.current.band, change.previous.band
    worse = current in ("yellow", "red") and BAND_RANK[current] < BAND_RANK.get(previous, 3)
    critical = any(r.code in CRITICAL_REASONS for r in change.reasons)
    if not (worse or critical):
        return None
    return "critical" if current == "red" or (critical and current != "green") else "warning"


def alert_title(change: RiskChange) -> str:
    """A one-line summary of the alert."""
    score = "no score" if change.current.score is None else f"{change.current.score:.0f}"
    return f"{change.account_id} is {change.current.band} ({score}): {change.reasons[0].message}"


def alert_view(alert: AlertRow, change: dict[str, Any]) -> dict[str, Any]:
    """The public representation of an alert, with its change."""
    return {
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
        "change": change,
    }


def record_change(
    session: Session, change: RiskChange, now: datetime, first_delay_s: float = 0.0
) -> AlertRow | None:
    """Store a change once; raise an alert and its outbox rows when it deserves one."""
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
    severity = severity_of(change)
    if severity is None:
        return None
    alert = AlertRow(
        id=_id("alert"),
        change_id=change.change_id,
        account_id=change.account_id,
        severity=severity,
        status="open",
        band=change.current.band,
        score=change.current.score,
        title=alert_title(change),
        segment=change.segment,
        csm_owner=change.csm_owner,
        created_at=now,
    )
    session.add(alert)
    session.flush()
    body = dumps({"type": ALERT_CREATED, "timestamp": now, "data": alert_view(alert, payload)})
    for endpoint in session.scalars(select(WebhookEndpointRow).where(WebhookEndpointRow.enabled)):
        if ALERT_CREATED in endpoint.event_types:
            session.add(
                DeliveryRow(
                    id=_id("msg"),
                    alert_id=alert.id,
                    endpoint_id=endpoint.id,
                    event_type=ALERT_CREATED,
                    body=body,
                    next_attempt_at=now + timedelta(seconds=first_delay_s),
                    created_at=now,
                )
            )
    return alert


def record_snapshot(session: Session, snap: HealthSnapshot) -> None:
    """Keep the newest snapshot of the account."""
    row = session.get(AccountHealthRow, snap.account_id)
    if row is not None and row.updated_at > snap.updated_at:
        return
    values = {
        "band": snap.band,
        "score": snap.score,
        "last_change_seq": snap.last_change_seq,
        "snapshot": snap.model_dump(mode="json"),
        "updated_at": snap.updated_at,
    }
    if row is None:
        session.add(AccountHealthRow(account_id=snap.account_id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


def create_endpoint(
    session: Session, url: str, description: str | None, event_types: list[str], now: datetime
) -> WebhookEndpointRow:
    """Register an endpoint with a fresh secret."""
    row = WebhookEndpointRow(
        id=_id("ep"),
        url=url,
        secret=new_secret(),
        description=description,
        event_types=event_types,
        enabled=True,
        created_at=now,
    )
    session.add(row)
    return row


def list_alerts(
    session: Session, account_id: str | None, band: str | None, limit: int
) -> list[tuple[AlertRow, dict[str, Any]]]:
    """Newest alerts first, with their changes."""
    query = (
        select(AlertRow, HealthChangeRow.payload)
        .join(HealthChangeRow, HealthChangeRow.change_id == AlertRow.change_id)
        .order_by(AlertRow.created_at.desc(), AlertRow.id)
        .limit(limit)
    )
    if account_id:
        query = query.where(AlertRow.account_id == account_id)
    if band:
        query = query.where(AlertRow.band == band)
    return [(alert, payload) for alert, payload in session.execute(query).tuples()]


def claim_due(session: Session, now: datetime, lease: timedelta, limit: int) -> list[DeliveryRow]:
    """Lease due deliveries so that no other worker takes them until the lease ends."""
    query = (
        select(DeliveryRow)
        .where(DeliveryRow.status == "pending", DeliveryRow.next_attempt_at <= now)
        .where(or_(DeliveryRow.locked_until.is_(None), DeliveryRow.locked_until < now))
        .order_by(DeliveryRow.next_attempt_at)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    if rows:
        session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id.in_([r.id for r in rows]))
            .values(locked_until=now + lease)
        )
    return rows


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)
