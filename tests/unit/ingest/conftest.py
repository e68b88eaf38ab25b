"""Fixtures of ingest's HTTP tests: the in-memory sink the app produces into."""

from __future__ import annotations

import pytest

from tests.support.sinks import MemorySink


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()
