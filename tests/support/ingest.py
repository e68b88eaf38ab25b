"""The ingest app over an in-memory sink, as the tests of its HTTP layer use it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from services.ingest.app import create_app
from services.settings import Settings
from tests.support.sinks import MemorySink


@contextmanager
def ingest_client(
    sink: MemorySink, data_dir: Path, api_keys: str = "key-1", **settings: Any
) -> Iterator[TestClient]:
    """A client of ingest producing into `sink`, with `api_keys` and the other `settings` given
    as they would be in the environment."""
    configured = Settings(api_keys=api_keys, data_dir=data_dir, **settings)
    with TestClient(create_app(configured, sink=sink)) as client:
        yield client
