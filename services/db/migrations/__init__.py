"""Alembic migrations of the SQL schema (`healthmon db upgrade`)."""
