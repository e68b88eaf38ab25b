"""Webhook endpoints: registration, changes, secret rotation, replays and attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from services.alerts.signing import new_secret
from services.alerts.store.alerts import new_id
from services.alerts.tables import (
    AlertRow,
    DeliveryAttemptRow,
    DeliveryRow,
    WebhookEndpointRow,
)

if TYPE_CHECKING:
    from services.alerts.secret_box import SecretBox


def endpoint_secrets(endpoint: WebhookEndpointRow, now: datetime, box: SecretBox) -> list[str]:
    """The secrets to sign with, opened: the current one, and the previous during a rotation."""
    previous = endpoint.previous_secret
    until = endpoint.previous_secret_until
    if previous and until is not None and until > now:
        return [box.open(endpoint.secret), box.open(previous)]
    return [box.open(endpoint.secret)]


def create_endpoint(
    session: Session,
    url: str,
    description: str | None,
    event_types: list[str],
    now: datetime,
    box: SecretBox,
) -> WebhookEndpointRow:
    """Register an endpoint with a fresh secret, stored sealed (`box.open` reads it)."""
    row = WebhookEndpointRow(
        id=new_id("ep"),
        url=url,
        secret=box.seal(new_secret()),
        description=description,
        event_types=event_types,
        enabled=True,
        created_at=now,
    )
    session.add(row)
    return row


def update_endpoint(row: WebhookEndpointRow, changes: dict[str, Any], now: datetime) -> None:
    """Apply changed fields; enabling clears why it was disabled."""
    for name, value in changes.items():
        setattr(row, name, value)
    if changes.get("enabled"):
        row.disabled_at = row.disabled_reason = row.failing_since = None
    elif changes.get("enabled") is False and row.disabled_at is None:
        row.disabled_at, row.disabled_reason = now, "disabled by hand"
    row.updated_at = now


def rotate_secret(
    row: WebhookEndpointRow, now: datetime, overlap: timedelta, box: SecretBox
) -> None:
    """A new secret (sealed); the old one keeps signing too until the overlap ends."""
    row.previous_secret, row.previous_secret_until = row.secret, now + overlap
    row.secret, row.updated_at = box.seal(new_secret()), now


def replay_to(
    session: Session,
    endpoint: WebhookEndpointRow,
    alert_id: str | None,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
) -> int:
    """Queue again for `endpoint` every notification (of its event types) of one alert or of
    the alerts raised in [since, until); return how many."""
    query = select(DeliveryRow).join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
    if alert_id is not None:
        query = query.where(DeliveryRow.alert_id == alert_id)
    if since is not None:
        query = query.where(AlertRow.created_at >= since)
    if until is not None:
        query = query.where(AlertRow.created_at < until)
    seen: set[tuple[str, str, datetime]] = set()
    for past in session.scalars(query.order_by(DeliveryRow.created_at)):
        notification = (past.alert_id, past.event_type, past.created_at)
        if notification in seen or past.event_type not in endpoint.event_types:
            continue
        seen.add(notification)
        session.add(
            DeliveryRow(
                id=new_id("msg"), alert_id=past.alert_id, channel="webhook",
                endpoint_id=endpoint.id, event_type=past.event_type, body=past.body,
                next_attempt_at=now, created_at=now,
            )
        )  # fmt: skip
    return len(seen)


def attempts_of(session: Session, endpoint_id: str, limit: int) -> Sequence[Row[Any]]:
    """The endpoint's delivery attempts, newest first: each attempt's columns with its
    delivery's `alert_id` and `event_type`."""
    query = (
        select(DeliveryAttemptRow.__table__, DeliveryRow.alert_id, DeliveryRow.event_type)
        .join(DeliveryRow, DeliveryRow.id == DeliveryAttemptRow.delivery_id)
        .where(DeliveryRow.endpoint_id == endpoint_id)
        .order_by(DeliveryAttemptRow.at.desc(), DeliveryAttemptRow.id.desc())
        .limit(limit)
    )
    return session.execute(query).all()
