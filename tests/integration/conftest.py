"""A fresh database per test: SQLite always, PostgreSQL when configured."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from services.sql import Base, init_db, make_engine, session_factory
from tests.conftest import DATABASE_URL_ENV, database_urls


@pytest.fixture(params=database_urls())
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'healthmon.db'}"
        if request.param == "sqlite"
        else os.environ[DATABASE_URL_ENV]
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
