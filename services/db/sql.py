"""What every service's SQL storage shares: the declarative base, aware datetimes, engines."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Connection, DateTime, Engine, create_engine, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with JSON and aware datetimes mapped."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: UTCDateTime,
    }


PRIVATE = 0o600
"""Mode of database files: readable and writable by their owner only."""


def private_sqlite_file(path: Path) -> None:
    """Create the SQLite file at `path` owner-only, or make it (and its WAL files) so."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE))
    # SQLite creates the -wal and -shm files with the database file's mode; older ones are fixed
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            file.chmod(PRIVATE)


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files are owner-only, with WAL and a busy timeout."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_sqlite_file(Path(database))
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # type: ignore[no-untyped-def]
            cursor = conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration, running on `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


MIGRATION_LOCK = 0x6865616C74686D6E
"""PostgreSQL advisory lock key ("healthmn") held while migrating: one upgrade at a time."""


class SchemaError(RuntimeError):
    """The database's schema is not the one this version of healthmon needs."""


def upgrade_db(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` (one schema per deployment, shared by the services).

    On PostgreSQL the whole upgrade runs in one transaction holding an advisory lock, and on
    SQLite under a lock on a file beside the database, so that upgrades started at once (two
    services on a fresh file) run one after the other and the later ones find nothing to do.
    """
    with _sqlite_file_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), revision)


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """Hold an exclusive lock on `<database>.lock` (SQLite files only; others need none)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    descriptor = os.open(f"{database}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def init_db(engine: Engine) -> None:
    """Bring the database to the current schema."""
    upgrade_db(engine)


def head_revision() -> str | None:
    """The newest migration of this version of healthmon."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before any migration."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_schema(engine: Engine) -> None:
    """Make sure the schema is current before a service uses it.

    A SQLite database (one machine, `healthmon up`) is migrated here; a server database is only
    checked, and SchemaError says to run `healthmon db upgrade` (one step of a deployment).
    """
    if engine.dialect.name == "sqlite":
        upgrade_db(engine)
        return
    current, head = current_revision(engine), head_revision()
    if current != head:
        url = engine.url.render_as_string(hide_password=True)
        raise SchemaError(
            f"the database {url} is at revision {current or '(none)'} but this version of "
            f"healthmon needs revision {head}: run `healthmon db upgrade` first"
        )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


class Database:
    """A database URL whose engine is made, and schema required, on first use."""

    def __init__(self, url: str, sessions: sessionmaker[Session] | None = None) -> None:
        self.url = url
        self._sessions = sessions
        self._lock = threading.Lock()

    def sessions(self) -> sessionmaker[Session]:
        """The session factory; on first use the engine is made and the schema required."""
        with self._lock:
            if self._sessions is None:
                engine = make_engine(self.url)
                require_schema(engine)
                self._sessions = session_factory(engine)
            return self._sessions
