"""Webhook secrets are stored sealed (Fernet tokens, longer than the plain secrets): widen
their columns. Rows written before stay plain until alerts starts (it seals them) or
`healthmon secrets reseal` runs; both open plain rows meanwhile.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        for column in ("secret", "previous_secret"):
            batch_op.alter_column(column, existing_type=sa.String(length=100), type_=sa.Text())


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        for column in ("secret", "previous_secret"):
            batch_op.alter_column(column, existing_type=sa.Text(), type_=sa.String(length=100))
