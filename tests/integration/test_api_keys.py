"""API keys in the SQL database (SQLite, and PostgreSQL when configured), through the store, the
ingest API and the `healthmon keys` command."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from services.db.sql import Database
from services.ingest.app import create_app
from services.settings import Settings
from services.web.api_keys import (
    ApiKeyRow,
    Caller,
    KeyStore,
    create_key,
    hash_secret,
    list_keys,
    revoke_key,
)
from tests.support.cli import healthmon
from tests.support.sinks import MemorySink

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
USAGE = {"account_id": "a1", "kind": "usage", "type": "active", "properties": {"user_id": "u"}}
TICKET = {"account_id": "a1", "kind": "ticket", "type": "ticket_opened",
          "properties": {"ticket_id": "t1", "priority": "low"}}  # fmt: skip


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_keys_are_stored_hashed_listed_without_secrets_and_revoked(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        row, secret = create_key(session, "billing", ["events:payment"], NOW)
    with sessions() as session:
        stored = session.scalars(select(ApiKeyRow)).one()
        assert stored.secret_hash != secret and secret not in repr(list_keys(session))
    store = KeyStore(Database(url_of(engine), sessions))
    assert store.find(secret) == Caller(row.id, frozenset({"events:payment"}))
    assert store.find("hm_not-a-key") == "unknown"
    with sessions.begin() as session:
        assert revoke_key(session, row.id, NOW) is not None
        assert revoke_key(session, "key_missing", NOW) is None
    assert KeyStore(Database(url_of(engine), sessions)).find(secret) == "revoked"


def test_ingest_answers_401_403_and_per_item_results_by_key_and_scope(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as session:
        _, usage_key = create_key(session, "product", ["events:usage"], NOW)
        old, revoked_key = create_key(session, "old", ["*"], NOW)
        revoke_key(session, old.id, NOW)
    settings = Settings(database_url=url_of(engine), data_dir=tmp_path)
    sink = MemorySink()
    with TestClient(create_app(settings, sink=sink)) as client:
        auth = {"Authorization": f"Bearer {usage_key}"}
        assert client.post("/v1/events", json=USAGE, headers=auth).status_code == 202

        denied = client.post("/v1/events", json=TICKET, headers=auth)
        assert denied.status_code == 403
        assert denied.json() == {
            "detail": "this API key lacks the scope 'events:ticket' (send ticket events)"
        }
        batch = client.post("/v1/events/batch", json={"events": [USAGE, TICKET]}, headers=auth)
        assert batch.status_code == 200
        results = batch.json()["results"]
        assert [r["status"] for r in results] == ["accepted", "rejected"]
        assert results[1]["errors"] == [
            {"loc": ["kind"], "msg": "this API key lacks the scope 'events:ticket'",
             "type": "forbidden"}
        ]  # fmt: skip
        accounts = client.post("/v1/accounts", json={"account_id": "a1"}, headers=auth)
        assert accounts.status_code == 403 and "accounts:write" in accounts.json()["detail"]

        gone = client.post(
            "/v1/events", json=USAGE, headers={"Authorization": f"Bearer {revoked_key}"}
        )
        assert gone.status_code == 401 and gone.json() == {"detail": "revoked API key"}
    assert len(sink.records) == 2  # the two usage events, nothing else


def test_the_keys_command_shows_a_secret_once_and_manages_keys(tmp_path: Path) -> None:
    def keys(*args: str) -> subprocess.CompletedProcess[str]:
        return healthmon(tmp_path, "keys", *args)

    made = keys("create", "zendesk", "--scope", "events:ticket", "--scope", "accounts:write")
    assert made.returncode == 0, made.stderr
    fields = dict(line.split(None, 1) for line in made.stdout.splitlines()[:4])
    assert fields["scopes"] == "accounts:write events:ticket"
    assert fields["secret"].startswith("hm_")
    listed = keys("list")
    assert fields["id"] in listed.stdout and fields["secret"] not in listed.stdout
    assert keys("revoke", fields["id"]).stdout.startswith(f"revoked {fields['id']}")
    assert keys("revoke", "key_nope").returncode == 2
    bad = keys("create", "x", "--scope", "events:everything")
    assert bad.returncode == 2 and "unknown scope" in bad.stderr
    store = KeyStore(Database(Settings(data_dir=tmp_path).sqlalchemy_url))
    assert store.find(fields["secret"]) == "revoked"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def statements_on(engine: Engine) -> list[str]:
    """The SQL statements `engine` runs from now on."""
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_a_new_key_and_a_revocation_take_effect_within_the_cache_time(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    clock = Clock()
    store = KeyStore(Database(url_of(engine), sessions), ttl_s=5, clock=clock)
    secret = "hm_made-after-a-failed-try"
    assert store.find(secret) == "unknown"
    with sessions.begin() as session:
        row = ApiKeyRow(id="key_new", name="billing", secret_hash=hash_secret(secret),
                        scopes=["events:payment"], created_at=NOW, revoked_at=None)  # fmt: skip
        session.add(row)
    clock.now += 4.9
    assert store.find(secret) == "unknown"  # the cached answer
    clock.now += 0.1
    assert store.find(secret) == Caller(row.id, frozenset({"events:payment"}))
    with sessions.begin() as session:
        revoke_key(session, row.id, NOW)
    clock.now += 4.9
    assert store.find(secret) == Caller(row.id, frozenset({"events:payment"}))
    clock.now += 0.1
    assert store.find(secret) == "revoked"


def test_wrong_secrets_are_looked_up_once_per_cache_time_and_their_cache_is_bounded(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        _, secret = create_key(session, "product", ["events:usage"], NOW)
    store = KeyStore(Database(url_of(engine), sessions), max_entries=3, clock=Clock())
    assert isinstance(store.find(secret), Caller)
    statements = statements_on(engine)
    assert [store.find("hm_wrong") for _ in range(50)] == ["unknown"] * 50
    assert len(statements) == 1
    for n in range(10):
        store.find(f"hm_wrong-{n}")
    assert store.cached("hm_wrong") is None  # pushed out by newer wrong secrets...
    assert [store.cached(f"hm_wrong-{n}") for n in (7, 8, 9)] == ["unknown"] * 3
    assert len(store._unknown.entries) == 3
    assert isinstance(store.cached(secret), Caller)  # ...which never push out a known key
