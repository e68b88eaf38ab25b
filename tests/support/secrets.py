"""A fixed secret key for tests that store webhook endpoints, and alerts settings using it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from services.alerts.secret_box import SecretBox
from services.settings import Settings

TEST_SECRET_KEY = "bEZ2dEh6a1hxV3BkR0FmNm9uQmJVR2pKc1VfM0xZTmE="
BOX = SecretBox([TEST_SECRET_KEY])
LOOPBACK = "127.0.0.0/8"
"""HEALTHMON_WEBHOOK_ALLOW_NETWORKS for tests whose receivers run on loopback."""


def alerts_settings(engine: Engine, data_dir: Path, **changes: Any) -> Settings:
    """Settings of an alerts app on `engine`'s database, with API key `key-1` and the test
    secret key; `changes` override any of them."""
    values: dict[str, Any] = {
        "api_keys": "key-1",
        "database_url": engine.url.render_as_string(hide_password=False),
        "data_dir": data_dir,
        "secret_keys": TEST_SECRET_KEY,
    }
    return Settings(**(values | changes))
