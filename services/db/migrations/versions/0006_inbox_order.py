"""The alerts inbox in index order: each alert's `urgency` (status, then severity), every alert's
latest activity set, and indexes that read the inbox a page at a time, for everyone and per CSM.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None
URGENCY = (
    "(CASE status WHEN 'open' THEN 3 WHEN 'acknowledged' THEN 2 WHEN 'snoozed' THEN 1 ELSE 0 END)"
    " * 2 + (CASE severity WHEN 'critical' THEN 1 ELSE 0 END)"
)


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "urgency", sa.Integer(), nullable=False, server_default="0",
                comment="The inbox's order: 7 open critical ... 0 resolved warning.",
            )
        )  # fmt: skip
    op.execute(f"UPDATE alerts SET urgency = {URGENCY}")
    op.execute("UPDATE alerts SET updated_at = created_at WHERE updated_at IS NULL")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.alter_column("urgency", server_default=None)
        batch_op.create_index("ix_alerts_inbox", ["urgency", "updated_at", "id"])
        batch_op.create_index("ix_alerts_owner_inbox", ["csm_owner", "urgency", "updated_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_owner_inbox")
        batch_op.drop_index("ix_alerts_inbox")
        batch_op.drop_column("urgency")
