"""SQL tables of the alerts service (SQLAlchemy 2 declarative)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.sql import Base


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
    """An alert raised by a change that worsened an account's health."""

    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    change_id: Mapped[str] = mapped_column(ForeignKey("health_changes.change_id"), unique=True)
    account_id: Mapped[str] = mapped_column(String(200), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    band: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None]
    title: Mapped[str] = mapped_column(Text)
    segment: Mapped[str | None] = mapped_column(String(100))
    csm_owner: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(index=True)


class WebhookEndpointRow(Base):
    """A receiver of signed webhooks."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    event_types: Mapped[list[str]]
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class DeliveryRow(Base):
    """The outbox: one message to one endpoint, written in the alert's transaction."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "endpoint_id", "event_type"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, comment="Also the webhook-id.")
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"))
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


class AccountHealthRow(Base):
    """The latest health snapshot of each account."""

    __tablename__ = "account_health"

    account_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    band: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None]
    last_change_seq: Mapped[int]
    snapshot: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
