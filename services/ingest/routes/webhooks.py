"""POST /v1/webhooks/stripe and /v1/webhooks/zendesk: provider webhooks, verified by signature.

A request with a valid signature is always acknowledged with 200 once its outcome is durable:
its events on Kafka, or, when it cannot be used (malformed, or no account known for it), a dead
letter saying why. Providers retry anything else, which would only repeat the failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from fastapi import HTTPException, Request, status
from pydantic import BaseModel

from schemas.errors import FieldError
from services.ingest import stripe, zendesk
from services.ingest.account_mappings import MappingStore
from services.ingest.deps import Sink, Topics
from services.ingest.limits import Limits
from services.ingest.metrics import count_event, count_ignored
from services.ingest.outcomes import Rejected, Translated, rejected_record
from services.ingest.producer import Record
from services.ingest.routes.events import produce
from services.ingest.signatures import stripe_problem, zendesk_problem
from services.web.auth import settings_of
from services.web.http import json_router

router = json_router("/v1/webhooks", "webhooks")


class WebhookResult(BaseModel):
    """What became of the provider's event."""

    status: Literal["accepted", "ignored", "rejected"]
    event_ids: list[str] = []
    account_id: str | None = None
    reason: str | None = None
    errors: list[FieldError] | None = None


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "A correctly signed body that is not JSON"},
    401: {"description": "Missing, wrong or expired signature"},
    404: {"description": "This provider's webhooks are not enabled (no signing secret set)"},
    413: {},
    415: {},
    503: {},
}


def _secrets(request: Request, provider: Literal["stripe", "zendesk"]) -> list[str]:
    secrets = settings_of(request).secrets_of(provider)
    if not secrets:
        setting = f"HEALTHMON_{provider.upper()}_WEBHOOK_SECRETS"
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"{provider} webhooks are not enabled: set {setting}"
        )
    return secrets


def _json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is not valid JSON: {exc}") from exc


async def _deliver(
    request: Request,
    sink: Sink,
    topics: Topics,
    source: str,
    raw: bytes,
    problem: str | None,
    translate: Callable[[Any, Callable[[str], str | None], datetime], Translated],
    time_field: str,
) -> WebhookResult:
    """Refuse a request whose signature `problem` names; otherwise translate its JSON, remember
    the links it reveals, and produce its events or its dead letter (also when an event time,
    read from `time_field`, is out of range or a record too large)."""
    if problem:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, problem)
    body = _json(raw)
    mappings: MappingStore = request.app.state.mappings
    limits: Limits = request.app.state.limits
    now = datetime.now(UTC)

    def translated_and_learned() -> tuple[Translated, list[Record]]:
        """The translation and its records (blocking: mappings are looked up and learned)."""
        translated = translate(body, lambda i: mappings.account_of(source, i), now)
        records = translated.records(topics)
        limits.check(translated, records, [time_field])
        for external_id, account in translated.links:
            mappings.learn(source, external_id, account, now)
        return translated, records

    try:
        translated, records = await asyncio.to_thread(translated_and_learned)
    except Rejected as rejected:
        endpoint = f"POST /v1/webhooks/{source}"
        await produce(sink, [rejected_record(topics, endpoint, None, raw, rejected.errors, now)])
        count_event(source, "webhook", rejected.reason)
        return WebhookResult(status="rejected", reason=rejected.reason, errors=rejected.errors)
    if translated.ignored is not None:
        count_ignored(source)
        return WebhookResult(status="ignored", reason=translated.ignored)
    await produce(sink, records)
    for event in translated.events:
        count_event(source, event.kind)
    return WebhookResult(
        status="accepted",
        event_ids=[e.event_id for e in translated.events],
        account_id=translated.account_id,
    )


STRIPE_EXAMPLE = {
    "id": "evt_1Test0004", "object": "event", "api_version": "2025-03-31.basil",
    "created": 1767225604, "livemode": False, "pending_webhooks": 1,
    "request": {"id": None, "idempotency_key": None}, "type": "invoice.payment_failed",
    "data": {"object": {
        "id": "in_1Test", "object": "invoice", "customer": "cus_Test123", "currency": "usd",
        "amount_due": 14700, "amount_paid": 0, "attempt_count": 1, "status": "open",
        "parent": {"type": "subscription_details", "subscription_details": {
            "metadata": {"account_id": "acme"}, "subscription": "sub_1Test"}},
    }},
}  # fmt: skip
ZENDESK_EXAMPLE = {
    "account_id": 22129848, "id": "cbe4028c-7239-495d-b020-f22348516046",
    "type": "zen:event-type:ticket.created", "subject": "zen:ticket:5158",
    "time": "2026-11-02T10:12:07.672717030Z", "zendesk_event_version": "2022-11-06",
    "detail": {"id": "5158", "organization_id": "8447346622462", "priority": "URGENT",
               "status": "OPEN", "requester_id": "8447388090494", "subject": "Exports fail",
               "created_at": "2026-11-02T10:12:07Z", "updated_at": "2026-11-02T10:12:07Z"},
    "event": {},
}  # fmt: skip


def _doc(headers: dict[str, str], example: dict[str, Any], what: str) -> dict[str, Any]:
    """The provider's signature headers and its JSON body, for the OpenAPI document."""
    return {
        "parameters": [
            {
                "name": name,
                "in": "header",
                "required": True,
                "description": description,
                "schema": {"type": "string"},
            }
            for name, description in headers.items()
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "description": what},
                    "example": example,
                }
            },
        },
    }


@router.post(
    "/stripe",
    summary="Stripe webhook events",
    responses=RESPONSES,
    response_model_exclude_none=True,
    openapi_extra=_doc(
        {"Stripe-Signature": "t=<unix time>,v1=<hex HMAC-SHA256 of t.body>"},
        STRIPE_EXAMPLE,
        "A Stripe event object, exactly as Stripe sends it.",
    ),
)
async def stripe_webhook(request: Request, sink: Sink, topics: Topics) -> WebhookResult:
    """Verifies `Stripe-Signature` against every configured secret (300 s tolerance), maps
    invoices, subscriptions, disputes and refunds to payment events; other types are
    acknowledged and counted."""
    raw = await request.body()
    settings = settings_of(request)
    problem = stripe_problem(
        request.headers.get("stripe-signature"),
        raw,
        _secrets(request, "stripe"),
        time.time(),
        settings.webhook_signature_tolerance_s,
    )
    return await _deliver(
        request,
        sink,
        topics,
        stripe.SOURCE,
        raw,
        problem,
        lambda body, account_of, now: stripe.translate(
            body,
            account_key=settings.stripe_account_metadata_key,
            account_of=account_of,
            received_at=now,
        ),
        "created",
    )


@router.post(
    "/zendesk",
    summary="Zendesk event webhooks",
    responses=RESPONSES,
    response_model_exclude_none=True,
    openapi_extra=_doc(
        {
            "X-Zendesk-Webhook-Signature": "base64 HMAC-SHA256 of the timestamp then the body",
            "X-Zendesk-Webhook-Signature-Timestamp": "when Zendesk signed it (ISO 8601)",
        },
        ZENDESK_EXAMPLE,
        "A Zendesk event (`zen:event-type:ticket.*`), exactly as Zendesk sends it.",
    ),
)
async def zendesk_webhook(request: Request, sink: Sink, topics: Topics) -> WebhookResult:
    """Verifies `X-Zendesk-Webhook-Signature` (base64 HMAC-SHA256 of the signature timestamp and
    the body) against every configured secret, maps ticket events to ticket events; the ticket's
    organization is mapped to the account."""
    raw = await request.body()
    problem = zendesk_problem(
        request.headers.get("x-zendesk-webhook-signature"),
        request.headers.get("x-zendesk-webhook-signature-timestamp"),
        raw,
        _secrets(request, "zendesk"),
        datetime.now(UTC),
        settings_of(request).webhook_signature_tolerance_s,
    )
    return await _deliver(
        request,
        sink,
        topics,
        zendesk.SOURCE,
        raw,
        problem,
        lambda body, account_of, now: zendesk.translate(
            body, account_of=account_of, received_at=now
        ),
        "time",
    )
