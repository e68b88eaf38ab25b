"""Account mappings in the SQL database: operators' mappings win over learned ones; the CLI
manages them; lookups are cached for a short time in a bounded cache."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from services.db.sql import Database
from services.ingest.account_mappings import MappingStore, list_mappings, set_mapping
from services.settings import Settings
from tests.support.cli import healthmon

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def store_of(engine: Engine, sessions: sessionmaker[Session]) -> MappingStore:
    return MappingStore(Database(engine.url.render_as_string(hide_password=False), sessions))


def test_learned_links_are_kept_and_follow_the_source(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    store = store_of(engine, sessions)
    assert store.account_of("segment", "ann") is None
    store.learn("segment", "ann", "acme", NOW)
    store.learn("segment", "ann", "globex", NOW)  # ann moved to another group
    assert store_of(engine, sessions).account_of("segment", "ann") == "globex"
    with sessions() as session:
        [row] = list_mappings(session, "segment")
    assert (row.account_id, row.learned) == ("globex", True)


def test_what_an_operator_set_is_not_overwritten_by_what_a_source_says(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        set_mapping(session, "stripe", "cus_1", "acme", NOW)
    store = store_of(engine, sessions)
    store.learn("stripe", "cus_1", "globex", NOW)
    assert store.account_of("stripe", "cus_1") == "acme"
    assert store_of(engine, sessions).account_of("stripe", "cus_1") == "acme"


def test_the_mappings_command_sets_lists_and_deletes(tmp_path: Path) -> None:
    def mappings(*args: str) -> subprocess.CompletedProcess[str]:
        return healthmon(tmp_path, "mappings", *args)

    assert mappings("set", "zendesk", "361", "acme").returncode == 0
    listed = mappings("list", "zendesk")
    assert "361" in listed.stdout and "acme" in listed.stdout
    store = MappingStore(Database(Settings(data_dir=tmp_path).sqlalchemy_url))
    assert store.account_of("zendesk", "361") == "acme"
    assert mappings("delete", "zendesk", "361").returncode == 0
    assert mappings("delete", "zendesk", "361").returncode == 2
    bad = mappings("set", "hubspot", "1", "acme")
    assert bad.returncode == 2 and "stripe, zendesk, segment" in bad.stderr


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_mapping_changed_elsewhere_takes_effect_within_the_cache_time(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    clock = Clock()
    url = engine.url.render_as_string(hide_password=False)
    store = MappingStore(Database(url, sessions), ttl_s=5, clock=clock)
    assert store.account_of("zendesk", "361") is None
    with sessions.begin() as session:  # another process, e.g. `healthmon mappings set`
        set_mapping(session, "zendesk", "361", "acme", NOW)
    clock.now += 4.9
    assert store.account_of("zendesk", "361") is None  # the cached answer
    clock.now += 0.1
    assert store.account_of("zendesk", "361") == "acme"
    with sessions.begin() as session:
        set_mapping(session, "zendesk", "361", "globex", NOW)
    clock.now += 4.9
    assert store.account_of("zendesk", "361") == "acme"
    clock.now += 0.1
    assert store.account_of("zendesk", "361") == "globex"


def test_the_cache_is_bounded_and_asks_the_database_once_per_cache_time(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    store = MappingStore(Database(url, sessions), max_entries=3, clock=Clock())
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert [store.account_of("segment", "ann") for _ in range(50)] == [None] * 50
    assert len(statements) == 1
    for n in range(1000):
        store.account_of("segment", f"user-{n}")
    assert store.cache_size() == 3
    assert len(statements) == 1001
    store.account_of("segment", "user-999")  # among the newest: still cached
    assert len(statements) == 1001
    store.account_of("segment", "ann")  # pushed out: asked again
    assert len(statements) == 1002
