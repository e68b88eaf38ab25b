"""Both APIs' OpenAPI documents are complete: every request body has a schema and an example,
and every reference resolves (tests/e2e/test_api_fuzz.py sends the examples and checks the
answers against the documents)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from services.alerts.app import create_app as alerts_app
from services.ingest.app import create_app as ingest_app
from services.settings import Settings
from tests.support.sinks import MemorySink

DOCUMENTS: dict[str, Callable[[Settings], Any]] = {
    "ingest": lambda settings: ingest_app(settings, sink=MemorySink()).openapi(),
    "alerts": lambda settings: alerts_app(settings, background=False).openapi(),
}
BODIES = {"ingest": 13, "alerts": 8}
"""ingest: events, batch, accounts, mappings, 7 Segment, 2 webhooks; alerts: acknowledge,
snooze, resolve, endpoint create, update and replay, route create and replace."""


@pytest.fixture(params=sorted(DOCUMENTS))
def document(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    return request.param, DOCUMENTS[request.param](Settings(data_dir=tmp_path))


def test_every_request_body_has_a_schema_and_an_example(
    document: tuple[str, dict[str, Any]],
) -> None:
    name, spec = document
    bodies = {
        f"{method.upper()} {path}": operation["requestBody"]["content"]["application/json"]
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
        if "requestBody" in operation
    }
    assert len(bodies) == BODIES[name]
    missing = [n for n, body in bodies.items() if not (body.get("example") or body.get("examples"))]
    assert missing == []
    assert all("schema" in body for body in bodies.values())


def test_every_reference_resolves(document: tuple[str, dict[str, Any]]) -> None:
    _, spec = document
    components = spec["components"]["schemas"]

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return own + [r for value in node.values() for r in refs(value)]
        return [r for value in node for r in refs(value)] if isinstance(node, list) else []

    names = {ref.removeprefix("#/components/schemas/") for ref in refs(spec["paths"])}
    assert names and names <= components.keys()
