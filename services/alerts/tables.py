"""SQL tables of the alerts service (SQLAlchemy 2 declarative)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from services.db.sql import Base


class HealthChangeRow(Base):
    """Every risk change received, once (deduplicated on change_id)."""

    __tablename__ = "health_changes"

    change_id: Mapped[str] = mapped_column(String(250), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(200), index=True)
    seq: Mapped[int]
    occurred_at: Mapped[datetime]
    emitted_at: Mapped[datetime]
    previous_band: Mapped[str] = mapped_column(String(16))
    current_band: Mapped[str] = mapped_column(String(16))
    current_score: Mapped[float | None]
    payload: Mapped[dict[str, Any]]


class AlertRow(Base):
    """One risk episode of an account: opened by a change, updated by the later ones, resolved
    when the account recovers (see services/alerts/lifecycle.py)."""

    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # the change that opened it
    change_id: Mapped[str] = mapped_column(ForeignKey("health_changes.change_id"), unique=True)
    latest_change_id: Mapped[str | None] = mapped_column(String(250))
    account_id: Mapped[str] = mapped_column(String(200), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    band: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None]
    worst_rank: Mapped[int] = mapped_column(default=2)
    critical_seen: Mapped[list[str]] = mapped_column(default=list)
    title: Mapped[str] = mapped_column(Text)
    segment: Mapped[str | None] = mapped_column(String(100))
    csm_owner: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    snoozed_until: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(16), comment="recovered or manual")
    urgency: Mapped[int] = mapped_column(
        default=0, comment="The inbox's order: 7 open critical ... 0 resolved warning."
    )


STATUS_URGENCY = {"open": 3, "acknowledged": 2, "snoozed": 1, "resolved": 0}
"""Where each status sits in the inbox, most urgent highest."""


def urgency(status: str, severity: str) -> int:
    """An alert's place in the inbox: by status, then critical before warning; highest first."""
    return STATUS_URGENCY.get(status, 0) * 2 + (1 if severity == "critical" else 0)


@event.listens_for(AlertRow, "before_insert")
@event.listens_for(AlertRow, "before_update")
def _keep_inbox_order(_mapper: Mapper[AlertRow], _connection: Connection, alert: AlertRow) -> None:
    """Every write of an alert keeps its inbox order (urgency, then latest activity) current."""
    alert.urgency = urgency(alert.status or "open", alert.severity)
    if alert.updated_at is None:
        alert.updated_at = alert.created_at


class AlertEventRow(Base):
    """What happened to an alert, in order: opened, worsened, updated, acknowledged, ..."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    change_id: Mapped[str | None] = mapped_column(String(250))
    actor: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class SnoozeRow(Base):
    """A snooze of an alert: until when, by whom, and how it ended."""

    __tablename__ = "snoozes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"), index=True)
    until: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(20), comment="expired, worse, ...")


class WebhookEndpointRow(Base):
    """A receiver of signed webhooks."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)  # sealed: services/alerts/secret_box.py
    description: Mapped[str | None] = mapped_column(Text)
    event_types: Mapped[list[str]]
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class RouteRow(Base):
    """Who hears of which alerts: a match on the alert and the channels to send it to."""

    __tablename__ = "routes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=100)
    enabled: Mapped[bool] = mapped_column(default=True)
    match: Mapped[dict[str, Any]]
    channels: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class DeliveryRow(Base):
    """The outbox: one notification to one destination (a webhook endpoint, a Slack webhook, an
    email address), written in the alert's transaction."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, comment="Also the webhook-id.")
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"))
    channel: Mapped[str] = mapped_column(String(16), default="webhook")
    endpoint_id: Mapped[str | None] = mapped_column(ForeignKey("webhook_endpoints.id"))
    target: Mapped[str | None] = mapped_column(Text, comment="Slack URL or email address.")
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class DeliveryAttemptRow(Base):
    """One attempt of a delivery and what the receiver answered."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id"), index=True)
    attempt: Mapped[int]
    at: Mapped[datetime]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float]


class AccountHealthRow(Base):
    """The latest health snapshot of each account."""

    __tablename__ = "account_health"

    account_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    band: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None]
    last_change_seq: Mapped[int]
    snapshot: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
