"""Alert episodes: lifecycle columns, alert events, snoozes, delivery attempts.

An alert is now a risk episode updated by later changes, so an alert may send the same event
type more than once: the deliveries' unique (alert, endpoint, event type) goes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import services.db.sql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("change_id", sa.String(length=250), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_events_alert_id"), ["alert_id"], unique=False)

    op.create_table(
        "snoozes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(length=40), nullable=False),
        sa.Column("until", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", services.db.sql.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True, comment="expired, worse, ..."),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("snoozes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_snoozes_alert_id"), ["alert_id"], unique=False)

    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.String(length=40), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", services.db.sql.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_attempts_delivery_id"), ["delivery_id"], unique=False
        )

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latest_change_id", sa.String(length=250), nullable=True))
        batch_op.add_column(
            sa.Column("worst_rank", sa.Integer(), nullable=False, server_default="2")
        )
        batch_op.add_column(
            sa.Column("critical_seen", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("updated_at", services.db.sql.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("acknowledged_at", services.db.sql.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("acknowledged_by", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("snoozed_until", services.db.sql.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("resolved_at", services.db.sql.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "resolution", sa.String(length=16), nullable=True, comment="recovered or manual"
            )
        )
        batch_op.create_index(batch_op.f("ix_alerts_status"), ["status"], unique=False)
    op.execute(
        "UPDATE alerts SET latest_change_id = change_id, updated_at = created_at, "
        "worst_rank = CASE band WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END"
    )
    drop_deliveries_unique()


def drop_deliveries_unique() -> None:
    """Drop the unique (alert_id, endpoint_id, event_type) of deliveries, named or not."""
    bind = op.get_bind()
    columns = ["alert_id", "endpoint_id", "event_type"]
    found = [
        u
        for u in sa.inspect(bind).get_unique_constraints("deliveries")
        if u["column_names"] == columns
    ]
    if not found:
        return
    if bind.dialect.name == "sqlite":  # unnamed there: name it by convention while copying
        convention = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
        with op.batch_alter_table("deliveries", naming_convention=convention) as batch_op:
            batch_op.drop_constraint("uq_deliveries_alert_id", type_="unique")
    else:
        op.drop_constraint(str(found[0]["name"]), "deliveries", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_deliveries_alert_id", ["alert_id", "endpoint_id", "event_type"]
        )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_status"))
        batch_op.drop_column("resolution")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("snoozed_until")
        batch_op.drop_column("acknowledged_by")
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("critical_seen")
        batch_op.drop_column("worst_rank")
        batch_op.drop_column("latest_change_id")

    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_attempts_delivery_id"))

    op.drop_table("delivery_attempts")
    with op.batch_alter_table("snoozes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_snoozes_alert_id"))

    op.drop_table("snoozes")
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_events_alert_id"))

    op.drop_table("alert_events")
