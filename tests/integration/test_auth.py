"""Authentication of the HTTP services against keys in the database (SQLite, and PostgreSQL when
configured): failed attempts are limited per client address, lookups stay off the event loop."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.ingest.app import create_app
from services.settings import Settings
from services.web.api_keys import create_key
from tests.support.event_loop import sql_on_the_event_loop as on_the_event_loop
from tests.support.sinks import MemorySink

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
USAGE = {"account_id": "a1", "kind": "usage", "type": "active", "properties": {"user_id": "u"}}
ADMIN_KEY = "admin-key"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    url = engine.url.render_as_string(hide_password=False)
    return Settings(
        database_url=url, data_dir=tmp_path, api_keys=[ADMIN_KEY],
        auth_failure_limit=5, auth_failure_window_s=60,
    )  # fmt: skip


def test_an_address_that_keeps_failing_gets_429_before_any_lookup_while_valid_keys_work(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        _, product_key = create_key(session, "product", ["events:usage"], NOW)
    app = create_app(settings, sink=MemorySink())
    with (
        TestClient(app, client=("203.0.113.7", 4000)) as attacker,
        TestClient(app, client=("198.51.100.2", 4000)) as neighbour,
    ):
        assert attacker.post("/v1/events", json=USAGE, headers=bearer(product_key)).is_success
        started = time.monotonic()
        codes = [
            attacker.post("/v1/events", json=USAGE, headers=bearer(f"hm_guess-{n}")).status_code
            for n in range(30)
        ]
        assert codes == [401] * 5 + [429] * 25
        refused = attacker.post("/v1/events", json=USAGE, headers=bearer("hm_guess-x"))
        # one attempt every 60 / 5 s, counted from the fifth failure; a slow machine has spent
        # some of that wait already by now
        waited = time.monotonic() - started
        assert 12 - math.ceil(waited) <= int(refused.headers["Retry-After"]) <= 12
        assert "failed authentications" in refused.json()["detail"]
        # keys already known to be valid, and the configured ones, still pass from there
        assert attacker.post("/v1/events", json=USAGE, headers=bearer(product_key)).is_success
        assert attacker.post("/v1/events", json=USAGE, headers=bearer(ADMIN_KEY)).is_success
        # other addresses are not affected
        assert (
            neighbour.post("/v1/events", json=USAGE, headers=bearer("hm_typo")).status_code == 401
        )


@pytest.fixture
def sql_on_the_event_loop() -> Iterator[list[str]]:
    """SQL statements that any engine runs on a thread with a running event loop."""
    with on_the_event_loop() as seen:
        yield seen


def test_keys_are_looked_up_off_the_event_loop(
    settings: Settings, sessions: sessionmaker[Session], sql_on_the_event_loop: list[str]
) -> None:
    with sessions.begin() as session:
        _, product_key = create_key(session, "product", ["events:usage"], NOW)
    with TestClient(create_app(settings, sink=MemorySink())) as client:
        assert client.post("/v1/events", json=USAGE, headers=bearer(product_key)).is_success
        assert client.post("/v1/events", json=USAGE, headers=bearer("hm_wrong")).status_code == 401
        assert client.get("/v1/account-mappings", headers=bearer("hm_wrong2")).status_code == 401
    assert sql_on_the_event_loop == []
