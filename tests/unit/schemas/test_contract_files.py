"""The committed JSON Schema files are generated from the models and stay in step with them."""

from __future__ import annotations

import jsonschema
import orjson
import pytest

from schemas.generate import CONTRACTS, WEBHOOK_MESSAGES, render, schema_path
from schemas.topics import HEALTH_CHANGES, USAGE_EVENTS, TopicSpec
from tests.support.events import event_dict


@pytest.mark.parametrize("spec", CONTRACTS, ids=lambda s: s.name)
def test_committed_schema_matches_the_model(spec: TopicSpec) -> None:
    path = schema_path(spec)
    assert path.exists(), f"{path.name} is missing: run `python -m schemas.generate`"
    assert path.read_bytes() == render(spec), (
        f"{path.name} drifted from the pydantic model: run `python -m schemas.generate` and commit"
    )


def test_usage_event_schema_accepts_a_valid_event_and_rejects_a_ticket() -> None:
    schema = orjson.loads(schema_path(USAGE_EVENTS).read_bytes())
    jsonschema.validate(event_dict("usage", "active", user_id="u1"), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(event_dict("ticket", "ticket_closed", ticket_id="t"), schema)


def test_risk_change_schema_requires_the_change_id() -> None:
    schema = orjson.loads(schema_path(HEALTH_CHANGES).read_bytes())
    assert "change_id" in schema["required"]
    assert schema["properties"]["current"]["$ref"].endswith("/Health")


def test_the_webhook_message_schema_tells_alerts_from_pings_and_refuses_a_bare_alert() -> None:
    schema = orjson.loads(schema_path(WEBHOOK_MESSAGES).read_bytes())
    ping = {"type": "webhook.ping", "timestamp": "2026-11-20T10:00:00Z", "data": {}}
    jsonschema.validate(ping, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**ping, "type": "alert.created"}, schema)
