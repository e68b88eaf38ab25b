"""The CSM workspace: its list of accounts (traits and latest health, indexed by risk), alert
assignees, one-time sign-in links, an index of each account's changes by event time (its sparkline
and 90-day chart) and one of alerts by status (the accounts with an active alert).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import services.db.sql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None
TIME = services.db.sql.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "account_list",
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("segment", sa.String(length=100), nullable=True),
        sa.Column("csm_owner", sa.String(length=254), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("mrr", sa.Double(), nullable=True),
        sa.Column("lifecycle_stage", sa.String(length=20), nullable=True),
        sa.Column("traits_at", TIME, nullable=True),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column(
            "risk", sa.Integer(), nullable=False, comment="0 red, 1 yellow, 2 green, 3 unknown"
        ),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("health_at", TIME, nullable=True),
        sa.PrimaryKeyConstraint("account_id"),
    )
    with op.batch_alter_table("account_list", schema=None) as batch_op:
        batch_op.create_index("ix_account_list_risk", ["risk", "score", "account_id"])
        batch_op.create_index("ix_account_list_segment_risk", ["segment", "risk", "score"])
        batch_op.create_index("ix_account_list_owner_risk", ["csm_owner", "risk", "score"])
        batch_op.create_index(batch_op.f("ix_account_list_stale"), ["stale"], unique=False)
    op.create_table(
        "alert_assignees",
        sa.Column("alert_id", sa.String(length=40), nullable=False),
        sa.Column("assignee", sa.String(length=254), nullable=False),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        sa.Column("assigned_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"]),
        sa.PrimaryKeyConstraint("alert_id"),
    )
    with op.batch_alter_table("alert_assignees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_assignees_assignee"), ["assignee"], unique=False)
    op.create_table(
        "sign_in_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("who", sa.String(length=254), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("used_at", TIME, nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("health_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_health_changes_account_time", ["account_id", "occurred_at"], unique=False
        )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_status_account", ["status", "account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_status_account")
    with op.batch_alter_table("health_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_health_changes_account_time")
    op.drop_table("sign_in_links")
    with op.batch_alter_table("alert_assignees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_assignees_assignee"))
    op.drop_table("alert_assignees")
    op.drop_table("account_list")
