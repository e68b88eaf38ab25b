"""Webhook secrets at rest on a real database: sealed when stored, plain rows from before sealed
when alerts starts, a key generated (mode 0600) for a local SQLite database only, and a key
rotation finished by `healthmon secrets reseal`."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from services.alerts.app import create_app
from services.alerts.secret_box import KEY_FILE, SecretBox, SecretKeyError, new_key, secret_box_of
from services.alerts.signing import new_secret
from services.alerts.tables import WebhookEndpointRow
from services.settings import Settings
from tests.support.secrets import LOOPBACK, TEST_SECRET_KEY


def settings_of(engine: Engine, tmp_path: Path, keys: str | None = TEST_SECRET_KEY) -> Settings:
    return Settings(
        api_keys="key-1",  # type: ignore[arg-type]
        database_url=engine.url.render_as_string(hide_password=False),
        data_dir=tmp_path,
        secret_keys=keys or "",  # type: ignore[arg-type]
        webhook_allow_networks=LOOPBACK,  # type: ignore[arg-type]
    )


def stored(sessions: sessionmaker[Session]) -> WebhookEndpointRow:
    with sessions() as session:
        return session.scalars(select(WebhookEndpointRow)).one()


def test_a_registered_endpoints_secret_is_stored_sealed(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with TestClient(create_app(settings_of(engine, tmp_path), background=False)) as client:
        created = client.post("/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/h"},
                              headers={"Authorization": "Bearer key-1"}).json()  # fmt: skip
    row = stored(sessions)
    assert created["secret"].startswith("whsec_") and row.secret != created["secret"]
    assert created["secret"].removeprefix("whsec_") not in row.secret
    assert SecretBox([TEST_SECRET_KEY]).open(row.secret) == created["secret"]


def add_plain_endpoint(sessions: sessionmaker[Session]) -> tuple[str, str]:
    """An endpoint as stored before secrets were sealed (mid-rotation: two plain secrets)."""
    from services.alerts.store.alerts import utcnow

    secret, previous = new_secret(), new_secret()
    with sessions.begin() as session:
        session.add(WebhookEndpointRow(
            id="ep_old", url="http://127.0.0.1:9/h", secret=secret, previous_secret=previous,
            event_types=["alert.created"], enabled=True, created_at=utcnow(),
        ))  # fmt: skip
    return secret, previous


def test_plain_secrets_from_before_are_sealed_when_alerts_starts(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    secret, previous = add_plain_endpoint(sessions)
    create_app(settings_of(engine, tmp_path), background=False)
    row = stored(sessions)
    assert row.secret != secret and row.previous_secret != previous
    box = SecretBox([TEST_SECRET_KEY])
    assert (box.open(row.secret), box.open(row.previous_secret or "")) == (secret, previous)


def test_without_keys_a_local_database_gets_a_private_generated_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    secret = secret_box_of(settings).seal("whsec_x")
    key_file = tmp_path / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert secret_box_of(settings).open(secret) == "whsec_x"  # the same key, kept


def test_without_keys_a_server_database_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://db.invalid/x")
    with pytest.raises(SecretKeyError, match="HEALTHMON_SECRET_KEYS is required"):
        secret_box_of(settings)
    assert not (tmp_path / KEY_FILE).exists()


def test_reseal_finishes_a_key_rotation(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    secret, previous = add_plain_endpoint(sessions)
    create_app(settings_of(engine, tmp_path), background=False)  # sealed with the old key
    new = new_key()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHMON_")}
    env |= {"HEALTHMON_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "HEALTHMON_SECRET_KEYS": f"{new},{TEST_SECRET_KEY}"}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "services.cli", "secrets", "reseal"], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 webhook endpoints" in done.stdout
    row = stored(sessions)
    only_new = SecretBox([new])
    assert (only_new.open(row.secret), only_new.open(row.previous_secret or "")) == (
        secret, previous,
    )  # fmt: skip
