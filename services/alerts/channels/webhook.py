"""Webhooks: each notification POSTed to its endpoint, signed per Standard Webhooks."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import ClassVar, Final

import httpx

from schemas.alerts import PingMessage
from schemas.codec import encode
from services.alerts import signing
from services.alerts.channels.base import EachAlone, Notification
from services.alerts.channels.outcome import SendOutcome
from services.alerts.outbound import Refused, failure_text, post_bounded
from services.alerts.retry import parse_retry_after

WEBHOOK: Final = "webhook"


class WebhookChannel(EachAlone):
    """Posts the outbox's message body as it is, signed with the endpoint's secrets."""

    name: ClassVar[str] = WEBHOOK
    endpoints: ClassVar[bool] = True

    def __init__(self, client: httpx.AsyncClient, timeout_s: float) -> None:
        self.client, self.timeout_s = client, timeout_s

    async def send(self, notifications: Sequence[Notification]) -> SendOutcome:
        """POST the message to the endpoint; its delivery id is the webhook-id."""
        [n] = notifications
        return await post_webhook(
            self.client, n.target, n.secrets, n.delivery_id, n.body, self.timeout_s
        )


async def post_webhook(
    client: httpx.AsyncClient,
    url: str,
    secrets: list[str],
    msg_id: str,
    body: bytes,
    timeout_s: float,
) -> SendOutcome:
    """POST one message signed per Standard Webhooks, within the deadline `timeout_s`, and
    classify the answer (of which at most a short excerpt is kept)."""
    now = datetime.now(UTC)
    headers = signing.headers(secrets, msg_id, int(now.timestamp()), body)
    headers["user-agent"] = "healthmon-webhooks/1"
    try:
        answer = await post_bounded(client, url, body, headers, timeout_s)
    except Refused as exc:
        return SendOutcome.failed(None, failure_text(exc, timeout_s), permanent=exc.permanent)
    except (httpx.HTTPError, TimeoutError) as exc:
        return SendOutcome.failed(None, failure_text(exc, timeout_s), permanent=False)
    if answer.is_success:
        return SendOutcome.sent(answer.status_code)
    return SendOutcome.failed(
        answer.status_code,
        answer.excerpt or f"HTTP {answer.status_code}",
        permanent=answer.status_code == 410,  # the receiver asks us to stop
        retry_after_s=parse_retry_after(answer.headers.get("retry-after"), now),
    )


async def send_ping(
    client: httpx.AsyncClient, url: str, secrets: list[str], timeout_s: float
) -> tuple[SendOutcome, float]:
    """A signed `webhook.ping` message, once; its outcome and how long it took (ms)."""
    body = encode(PingMessage(timestamp=datetime.now(UTC)))
    started = time.perf_counter()
    outcome = await post_webhook(client, url, secrets, f"ping_{uuid.uuid4().hex}", body, timeout_s)
    return outcome, 1000 * (time.perf_counter() - started)
