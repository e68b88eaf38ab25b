"""The schema before migrations: keys, mappings, changes, alerts, endpoints, deliveries, health.

Tables are created only if missing: databases made by `create_all` before migrations existed
hold some or all of them already.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import services.db.sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_health",
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("last_change_seq", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("updated_at", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
        if_not_exists=True,
    )
    op.create_table(
        "account_mappings",
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("learned", sa.Boolean(), nullable=False),
        sa.Column("updated_at", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "external_id"),
        if_not_exists=True,
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", services.db.sql.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
        if_not_exists=True,
    )
    op.create_table(
        "health_changes",
        sa.Column("change_id", sa.String(length=250), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("occurred_at", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.Column("emitted_at", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.Column("previous_band", sa.String(length=16), nullable=False),
        sa.Column("current_band", sa.String(length=16), nullable=False),
        sa.Column("current_score", sa.Double(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("change_id"),
        if_not_exists=True,
    )
    with op.batch_alter_table("health_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_health_changes_account_id"),
            ["account_id"],
            unique=False,
            if_not_exists=True,
        )

    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("change_id", sa.String(length=250), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("segment", sa.String(length=100), nullable=True),
        sa.Column("csm_owner", sa.String(length=254), nullable=True),
        sa.Column("created_at", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["health_changes.change_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("change_id"),
        if_not_exists=True,
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alerts_account_id"), ["account_id"], unique=False, if_not_exists=True
        )
        batch_op.create_index(
            batch_op.f("ix_alerts_created_at"), ["created_at"], unique=False, if_not_exists=True
        )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(length=40), nullable=False, comment="Also the webhook-id."),
        sa.Column("alert_id", sa.String(length=40), nullable=False),
        sa.Column("endpoint_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", services.db.sql.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", services.db.sql.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alert_id", "endpoint_id", "event_type"),
        if_not_exists=True,
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliveries_due", ["status", "next_attempt_at"], unique=False, if_not_exists=True
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_due")

    op.drop_table("deliveries")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_created_at"))
        batch_op.drop_index(batch_op.f("ix_alerts_account_id"))

    op.drop_table("alerts")
    op.drop_table("webhook_endpoints")
    with op.batch_alter_table("health_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_changes_account_id"))

    op.drop_table("health_changes")
    op.drop_table("api_keys")
    op.drop_table("account_mappings")
    op.drop_table("account_health")
