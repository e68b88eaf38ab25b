"""Routes, and deliveries to Slack and email as well as webhook endpoints; endpoint secret
rotation and disabling. Seeds the default route: alerts to the account's CSM owner by email.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import services.db.sql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("match", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("created_at", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", services.db.sql.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=16), nullable=False, server_default="webhook")
        )
        batch_op.add_column(
            sa.Column("target", sa.Text(), nullable=True, comment="Slack URL or email address.")
        )
        batch_op.alter_column("endpoint_id", existing_type=sa.VARCHAR(length=40), nullable=True)

    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("updated_at", services.db.sql.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("previous_secret", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column(
                "previous_secret_until", services.db.sql.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("failing_since", services.db.sql.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("disabled_at", services.db.sql.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("disabled_reason", sa.Text(), nullable=True))

    routes = sa.table(
        "routes",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("position", sa.Integer),
        sa.column("enabled", sa.Boolean),
        sa.column("match", sa.JSON),
        sa.column("channels", sa.JSON),
        sa.column("created_at", services.db.sql.UTCDateTime(timezone=True)),
    )
    op.bulk_insert(
        routes,
        [
            {
                "id": "route_default",
                "name": "Alerts to the account's CSM owner",
                "position": 1000,
                "enabled": True,
                "match": {},
                "channels": [{"type": "csm_owner"}],
                "created_at": datetime.now(UTC),
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_column("disabled_reason")
        batch_op.drop_column("disabled_at")
        batch_op.drop_column("failing_since")
        batch_op.drop_column("previous_secret_until")
        batch_op.drop_column("previous_secret")
        batch_op.drop_column("updated_at")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column("endpoint_id", existing_type=sa.VARCHAR(length=40), nullable=False)
        batch_op.drop_column("target")
        batch_op.drop_column("channel")

    op.drop_table("routes")
