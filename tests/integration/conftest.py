"""A fresh database per test: SQLite always, PostgreSQL when configured (one database per
pytest-xdist worker)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from services.db.sql import Base, init_db, make_engine, session_factory
from tests.conftest import DATABASE_URL_ENV, database_urls


@pytest.fixture(scope="session")
def postgresql_url() -> str:
    """The configured PostgreSQL database; under pytest-xdist each worker gets a database of its
    own beside it (`test_gw0`, ...), made once, since every test drops every table."""
    url = make_url(os.environ[DATABASE_URL_ENV])
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        own = f"{url.database}_{worker}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            known = text("SELECT 1 FROM pg_database WHERE datname = :name")
            if connection.execute(known, {"name": own}).scalar() is None:
                connection.execute(text(f'CREATE DATABASE "{own}"'))
        admin.dispose()
        url = url.set(database=own)
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=database_urls())
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'healthmon.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgresql_url")
    )
    engine = make_engine(url)
    drop_everything(engine)
    init_db(engine)
    yield engine
    drop_everything(engine)
    engine.dispose()


def drop_everything(engine: Engine) -> None:
    """Drop every table, the migrations' version table included."""
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)
