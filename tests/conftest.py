"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.local.broker import ENGINES, Broker, start_broker
from services.local.ports import free_port

DATABASE_URL_ENV = "HEALTHMON_TEST_DATABASE_URL"

TESTS = Path(__file__).resolve().parent
# Every test under these directories carries the marker of the same name, so that
# `pytest -m "not e2e and not integration"` is the quick loop whatever a new test forgets.
LAYER_MARKERS = ("integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.relative_to(TESTS).parts if item.path.is_relative_to(TESTS) else ()
        if parts and parts[0] in LAYER_MARKERS:
            item.add_marker(parts[0])


@pytest.fixture(autouse=True)
def _clean_healthmon_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start from the defaults, whatever the shell exported."""
    for name in list(os.environ):
        if name.startswith("HEALTHMON_") and name != DATABASE_URL_ENV:
            monkeypatch.delenv(name)


@pytest.fixture(scope="session", params=ENGINES)
def broker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Broker]:
    """A local Kafka-protocol broker of each engine, once per session."""
    data_dir: Path = tmp_path_factory.mktemp(f"broker-{request.param}")
    with start_broker(request.param, free_port(), data_dir) as running:
        yield running


@pytest.fixture
def topic_prefix() -> str:
    """A prefix that gives each test its own topics on a shared broker."""
    return f"t{uuid.uuid4().hex[:10]}-"


def database_urls() -> list[str]:
    """SQLite always; PostgreSQL too when HEALTHMON_TEST_DATABASE_URL is set."""
    urls = ["sqlite"]
    if os.environ.get(DATABASE_URL_ENV):
        urls.append("postgresql")
    return urls
