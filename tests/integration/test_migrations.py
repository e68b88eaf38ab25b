"""The migrations make exactly the schema the code declares, on SQLite and PostgreSQL, and
upgrade databases made before migrations existed."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from services.sql import Base, import_tables, init_db, make_engine
from tests.integration.conftest import drop_everything
from tests.support.cli import healthmon


def test_the_migrated_schema_is_the_declared_one(engine: Engine) -> None:
    import_tables()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrading_twice_changes_nothing(engine: Engine) -> None:
    init_db(engine)
    with engine.connect() as connection:
        [version] = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    assert version


def test_a_database_made_before_migrations_is_upgraded_in_place(engine: Engine) -> None:
    drop_everything(engine)
    with engine.begin() as connection:  # what `create_all` made in the first releases
        connection.execute(text("CREATE TABLE api_keys (id VARCHAR(40) PRIMARY KEY, "
                                "name VARCHAR(200) NOT NULL, secret_hash VARCHAR(64) NOT NULL, "
                                "scopes JSON NOT NULL, created_at TIMESTAMP NOT NULL, "
                                "revoked_at TIMESTAMP, UNIQUE (secret_hash))"))  # fmt: skip
        connection.execute(text("INSERT INTO api_keys VALUES ('key_1', 'old', 'h', '[\"*\"]', "
                                "'2026-01-01 00:00:00', NULL)"))  # fmt: skip
    init_db(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"api_keys", "alerts", "account_mappings", "alembic_version"} <= tables
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM api_keys")).scalar_one() == "old"


def test_the_db_upgrade_command_migrates_the_configured_database(tmp_path: Path) -> None:
    done = healthmon(tmp_path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert "at revision" in done.stdout
    tables = inspect(make_engine(f"sqlite:///{tmp_path / 'healthmon.db'}")).get_table_names()
    assert "alerts" in tables
