"""SQLite database files made by the services are readable by their owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from services.db.sql import make_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that makes new files world-readable, as most shells have."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.mark.usefixtures("open_umask")
def test_a_new_sqlite_database_and_its_wal_files_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "healthmon.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        wal_files = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
        assert {p: mode(p) for p in [path, *wal_files]} == dict.fromkeys([path, *wal_files], 0o600)
    engine.dispose()
    assert mode(path.parent) == 0o700


@pytest.mark.usefixtures("open_umask")
def test_an_existing_world_readable_database_is_made_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "healthmon.db"
    path.touch(0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o600
