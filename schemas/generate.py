"""Write the JSON Schema of every topic and of webhook messages to schemas/json/
(`python -m schemas.generate`)."""

from __future__ import annotations

from pathlib import Path

import orjson

from schemas.alerts import WebhookMessage
from schemas.topics import ALL_TOPICS, TopicSpec, json_schema

JSON_DIR = Path(__file__).parent / "json"
WEBHOOK_MESSAGES = TopicSpec("webhook-messages", WebhookMessage)
"""Not a topic: the body of the webhook requests receivers get, under the same drift test."""
CONTRACTS = (*ALL_TOPICS, WEBHOOK_MESSAGES)


def schema_path(spec: TopicSpec) -> Path:
    """Where the committed schema of a contract lives."""
    return JSON_DIR / f"{spec.name}.schema.json"


def render(spec: TopicSpec) -> bytes:
    """The file content of a contract's schema: stable, indented, ending in a newline."""
    return (
        orjson.dumps(json_schema(spec), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )


def main() -> None:
    """Regenerate every schema file."""
    JSON_DIR.mkdir(exist_ok=True)
    for spec in CONTRACTS:
        schema_path(spec).write_bytes(render(spec))
        print(schema_path(spec).name)


if __name__ == "__main__":
    main()
