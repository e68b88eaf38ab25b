"""Provider payloads for tests: Stripe events (shaped as Stripe's API reference documents them,
each accepted by the official library's construct_event) and Zendesk ticket events (shaped as
captured from real Zendesk accounts), with their signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import stripe

FIXTURES = Path(__file__).parent.parent / "fixtures"
ZENDESK_TEST_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
"""The secret Zendesk signs test requests with (from its verification guide)."""


def stripe_events() -> dict[str, dict[str, Any]]:
    """The sample Stripe events by id."""
    events = json.loads((FIXTURES / "stripe_events.json").read_text())
    return {event["id"]: event for event in events}


def stripe_request(
    event: dict[str, Any], secret: str, at: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of Stripe's request, signed by the official library."""
    body = orjson.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, at)
    return body, {"Stripe-Signature": header, "Content-Type": "application/json; charset=utf-8"}


def zendesk_event(
    kind: str,
    ticket_id: str = "5158",
    organization_id: str | None = "8447346622462",
    event: dict[str, Any] | None = None,
    **detail: Any,
) -> dict[str, Any]:
    """A Zendesk ticket event envelope (enums upper case and ids strings, as Zendesk sends)."""
    now = datetime.now(UTC)
    return {
        "account_id": 22129848,
        "detail": {
            "actor_id": "8447388090494",
            "assignee_id": None,
            "brand_id": "8447346621310",
            "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "description": "The export button does nothing",
            "external_id": None,
            "group_id": "8447320466430",
            "id": ticket_id,
            "is_public": True,
            "organization_id": organization_id,
            "priority": "LOW",
            "requester_id": "8447388090494",
            "status": "OPEN",
            "subject": "Exports broken",
            "submitter_id": "8447388090494",
            "tags": [],
            "type": "INCIDENT",
            "updated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "via": {"channel": "web_service"},
        }
        | detail,
        "event": event or {},
        "id": f"{kind}-{ticket_id}-{now.timestamp()}",
        "subject": f"zen:ticket:{ticket_id}",
        "time": now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "030Z",
        "type": f"zen:event-type:ticket.{kind}",
        "zendesk_event_version": "2022-11-06",
    }


def zendesk_request(
    event: dict[str, Any], secret: str = ZENDESK_TEST_SECRET, at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of Zendesk's request: base64 HMAC-SHA256 of timestamp + body."""
    body = orjson.dumps(event)
    stamp = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return body, {
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "Content-Type": "application/json",
    }
