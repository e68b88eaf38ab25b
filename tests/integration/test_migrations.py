"""The migrations make exactly the schema the code declares, on SQLite and PostgreSQL, upgrade
databases made before migrations existed, and run safely when started at once; services migrate
only SQLite, at start, and refuse a server database whose schema is not current."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import PIPE

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from services.alerts.app import create_app as alerts_app
from services.db.migrations.tables import all_tables
from services.db.sql import (
    SchemaError,
    current_revision,
    head_revision,
    init_db,
    make_engine,
    require_schema,
    upgrade_db,
)
from services.ingest.app import create_app as ingest_app
from services.settings import Settings
from tests.conftest import DATABASE_URL_ENV
from tests.integration.conftest import drop_everything
from tests.support.cli import healthmon
from tests.support.sinks import MemorySink


def test_the_migrated_schema_is_the_declared_one(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, all_tables()) == []


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


def test_accounts_listed_before_the_search_column_are_found_after(engine: Engine) -> None:
    drop_everything(engine)
    upgrade_db(engine, "0006")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO account_list (account_id, name, band, risk, stale) "
                                "VALUES ('ACME-1', 'Acme Corp', 'red', 0, false), "
                                "('bolt-2', NULL, 'green', 2, false)"))  # fmt: skip
    upgrade_db(engine)
    with engine.connect() as connection:
        found = connection.execute(text("SELECT account_id, search FROM account_list"))
        assert dict(found.tuples().all()) == {"ACME-1": "acme-1\nacme corp", "bolt-2": "bolt-2\n"}


def test_the_db_upgrade_command_migrates_the_configured_database(tmp_path: Path) -> None:
    done = healthmon(tmp_path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert "at revision" in done.stdout
    tables = inspect(make_engine(f"sqlite:///{tmp_path / 'healthmon.db'}")).get_table_names()
    assert "alerts" in tables


@pytest.fixture
def empty_postgresql() -> Iterator[Callable[[], str]]:
    """Makes empty PostgreSQL databases of their own (URLs), dropped after the test."""
    server = os.environ.get(DATABASE_URL_ENV)
    if not server:
        pytest.skip(f"set {DATABASE_URL_ENV} to a PostgreSQL database")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"healthmon_migrate_{secrets.token_hex(4)}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as connection:
        for name in made:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def upgrade_command(url: str) -> subprocess.Popen[str]:
    """`healthmon db upgrade` against `url`, started in the background."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHMON_")}
    env["HEALTHMON_DATABASE_URL"] = url
    command = [sys.executable, "-m", "services.cli", "db", "upgrade"]
    return subprocess.Popen(command, env=env, stdout=PIPE, stderr=PIPE, text=True)


def test_two_upgrades_started_at_once_on_an_empty_postgresql_both_succeed(
    empty_postgresql: Callable[[], str],
) -> None:
    for _trial in range(5):
        url = empty_postgresql()
        first, second = upgrade_command(url), upgrade_command(url)
        for process in (first, second):
            _out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
        assert current_revision(make_engine(url)) == head_revision()


def test_two_upgrades_started_at_once_on_a_new_sqlite_file_both_succeed(tmp_path: Path) -> None:
    """What two services on one machine do when they start on a fresh data directory."""
    for trial in range(5):
        url = f"sqlite:///{tmp_path / f'healthmon-{trial}.db'}"
        first, second = upgrade_command(url), upgrade_command(url)
        for process in (first, second):
            _out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
        assert current_revision(make_engine(url)) == head_revision()


def test_services_refuse_a_server_database_that_is_not_current(
    empty_postgresql: Callable[[], str], tmp_path: Path
) -> None:
    url = empty_postgresql()
    settings = Settings(database_url=url, data_dir=tmp_path)
    with pytest.raises(SchemaError, match=r"at revision \(none\).*run `healthmon db upgrade`"):
        alerts_app(settings, background=False)
    with (
        pytest.raises(SchemaError, match="healthmon db upgrade"),
        TestClient(ingest_app(settings, sink=MemorySink())),
    ):
        pass
    engine = make_engine(url)
    assert current_revision(engine) is None  # neither migrated it
    upgrade_db(engine, "0003")
    with pytest.raises(SchemaError, match=f"at revision 0003 .* needs revision {head_revision()}"):
        require_schema(engine)
    upgrade_db(engine)
    require_schema(engine)
    engine.dispose()


def test_ingest_migrates_a_sqlite_database_when_it_starts_not_on_a_request(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings.sqlalchemy_url)
    with TestClient(ingest_app(settings, sink=MemorySink())):
        assert current_revision(engine) == head_revision()
    engine.dispose()
