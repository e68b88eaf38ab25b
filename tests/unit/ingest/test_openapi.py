"""The ingest API's OpenAPI document is complete: every request body has a schema and an example
(the fuzz test in tests/e2e sends the examples and checks the answers against the document)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.ingest.app import create_app
from services.settings import Settings
from tests.support.sinks import MemorySink


def document(tmp_path: Path) -> dict[str, Any]:
    spec: dict[str, Any] = create_app(Settings(data_dir=tmp_path), sink=MemorySink()).openapi()
    return spec


def test_every_request_body_has_a_schema_and_an_example(tmp_path: Path) -> None:
    spec = document(tmp_path)
    bodies = {
        f"{method.upper()} {path}": operation["requestBody"]["content"]["application/json"]
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
        if "requestBody" in operation
    }
    assert len(bodies) == 13  # events, batch, accounts, mappings, 7 Segment, 2 webhooks
    missing = [
        name for name, body in bodies.items() if not (body.get("example") or body.get("examples"))
    ]
    assert missing == []
    assert all("schema" in body for body in bodies.values())


def test_every_reference_resolves(tmp_path: Path) -> None:
    spec = document(tmp_path)
    components = spec["components"]["schemas"]

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return own + [r for value in node.values() for r in refs(value)]
        return [r for value in node for r in refs(value)] if isinstance(node, list) else []

    names = {ref.removeprefix("#/components/schemas/") for ref in refs(spec["paths"])}
    assert names and names <= components.keys()
