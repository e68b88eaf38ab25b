"""The outbox: notifications written with the alert, claimed and scheduled for delivery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from schemas.alerts import AlertEventType, AlertMessage
from schemas.codec import encode
from services.alerts.channels import CHANNELS
from services.alerts.channels.base import Delivering, Notification
from services.alerts.channels.webhook import WEBHOOK
from services.alerts.lifecycle import NOTIFY
from services.alerts.routing import Destination, destinations
from services.alerts.secret_box import SecretBox, SecretKeyError
from services.alerts.store.alerts import alert_view, new_id
from services.alerts.store.endpoints import endpoint_secrets
from services.alerts.store.routes import routes_of
from services.alerts.tables import AlertRow, DeliveryRow, WebhookEndpointRow

EVENT_TYPES: tuple[str, ...] = tuple(NOTIFY.values())


def enqueue(
    session: Session,
    alert: AlertRow,
    event_type: AlertEventType,
    change: dict[str, Any],
    now: datetime,
    delivering: Delivering = Delivering(),
) -> int:
    """Write a notification of `alert` to the outbox: once for every webhook endpoint that
    subscribes to `event_type` and every destination a route gives, each first due when its
    channel says (email ones only when an SMTP server is configured; digest ones wait for the
    next digest time)."""
    view = alert_view(alert, change)
    body = encode(AlertMessage(type=event_type, timestamp=now, data=view))
    endpoints = {
        e.id: e
        for e in session.scalars(select(WebhookEndpointRow).where(WebhookEndpointRow.enabled))
    }
    subscribed = [
        Destination(WEBHOOK, e.id) for e in endpoints.values() if event_type in e.event_types
    ]
    wanted: dict[Destination, datetime] = {}
    for destination in [*subscribed, *destinations(routes_of(session), view, event_type)]:
        channel = CHANNELS[destination.channel]
        due = channel.first_attempt_at(now, delivering)
        if due is None or destination in wanted:
            continue  # the channel is off, or the destination has its notification
        if channel.endpoints and destination.target not in endpoints:
            continue  # a route naming a disabled or deleted endpoint
        wanted[destination] = due
    for destination, due in wanted.items():
        to_endpoint = CHANNELS[destination.channel].endpoints
        session.add(
            DeliveryRow(
                id=new_id("msg"),
                alert_id=alert.id,
                channel=destination.channel,
                endpoint_id=destination.target if to_endpoint else None,
                target=None if to_endpoint else destination.target,
                event_type=event_type,
                body=body,
                next_attempt_at=due,
                created_at=now,
            )
        )
    return len(wanted)


def destination_of(row: DeliveryRow) -> str:
    """Whom a delivery goes to: its endpoint, Slack webhook or mailbox (the unit of
    per-destination concurrency)."""
    return row.endpoint_id or f"{row.channel}:{row.target}"


def claim_due(
    session: Session,
    now: datetime,
    lease: timedelta,
    limit: int,
    room: Callable[[str], int] | None = None,
) -> list[DeliveryRow]:
    """Lease due deliveries so that no other worker takes them until the lease ends; with
    `room`, at most `room(destination)` of each destination (see `destination_of`)."""
    query = (
        select(DeliveryRow)
        .where(DeliveryRow.status == "pending", DeliveryRow.next_attempt_at <= now)
        .where(or_(DeliveryRow.locked_until.is_(None), DeliveryRow.locked_until < now))
        .order_by(DeliveryRow.next_attempt_at)
        .limit(limit if room is None else limit * 4)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed: list[DeliveryRow] = []
    taking: dict[str, int] = {}
    for row in session.scalars(query).all():
        if len(claimed) >= limit:
            break
        if room is not None:
            destination = destination_of(row)
            if taking.get(destination, 0) >= room(destination):
                continue  # that destination is busy: leave the row for later
            taking[destination] = taking.get(destination, 0) + 1
        # Take a row only if no other worker leased it since we read it (where rows are not
        # locked on read, e.g. SQLite): the lease is the claim.
        taken = session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == row.id, DeliveryRow.status == "pending")
            .where(or_(DeliveryRow.locked_until.is_(None), DeliveryRow.locked_until < now))
            .values(locked_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(row)
    return claimed


def claim_notifications(
    session: Session,
    now: datetime,
    lease: timedelta,
    limit: int,
    room: Callable[[str], int],
    box: SecretBox,
) -> list[Notification]:
    """`claim_due`, each delivery with what sending it needs: for one to an endpoint, the
    endpoint's URL and its secrets opened (or why they do not open)."""
    rows = claim_due(session, now, lease, limit, room)
    ids = {r.endpoint_id for r in rows if r.endpoint_id}
    endpoints = {
        e.id: e
        for e in session.scalars(select(WebhookEndpointRow).where(WebhookEndpointRow.id.in_(ids)))
    }
    claimed = []
    for row in rows:
        endpoint = endpoints.get(row.endpoint_id or "")
        target, secrets, problem = row.target or "", [], None
        if endpoint is not None:
            target = endpoint.url
            try:
                secrets = endpoint_secrets(endpoint, now, box)
            except SecretKeyError as exc:
                problem = str(exc)
        claimed.append(Notification(row.id, row.channel, target, secrets, row.body,
                                    row.attempts, destination_of(row), problem))  # fmt: skip
    return claimed


def next_due(session: Session, now: datetime) -> datetime | None:
    """When the outbox next has work no send in flight will announce: the earliest delivery
    due and not leased, a lease running out (its worker may have died), or a snooze ending."""
    pending = DeliveryRow.status == "pending"
    free = or_(DeliveryRow.locked_until.is_(None), DeliveryRow.locked_until <= now)
    leased = DeliveryRow.locked_until > now
    snoozed = AlertRow.status == "snoozed"
    times = [
        session.scalar(select(func.min(DeliveryRow.next_attempt_at)).where(pending, free)),
        session.scalar(select(func.min(DeliveryRow.locked_until)).where(pending, leased)),
        session.scalar(select(func.min(AlertRow.snoozed_until)).where(snoozed)),
    ]
    return min((t for t in times if t is not None), default=None)
