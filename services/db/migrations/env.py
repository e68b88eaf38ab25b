"""Alembic environment: migrations run on the connection `services.db.sql.upgrade_db` passes in."""

from __future__ import annotations

from alembic import context

from services.db.migrations.tables import all_tables

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=all_tables(),
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
