"""Verifying that a webhook came from its provider: Stripe's and Zendesk's HMAC signatures.

Each check takes every secret currently valid (several during a rotation) and returns None when
the request is genuine, else the reason it is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

STRIPE_TOLERANCE_S = 300


def _hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def stripe_problem(
    header: str | None,
    payload: bytes,
    secrets: Sequence[str],
    now: float,
    tolerance_s: float = STRIPE_TOLERANCE_S,
) -> str | None:
    """Check a `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">,...`."""
    if not header:
        return "missing Stripe-Signature header"
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamps.append(value)
        elif name == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        return "Stripe-Signature has no valid t=<timestamp>"
    if not signatures:
        return "Stripe-Signature has no v1 signature"
    if abs(now - int(timestamps[0])) > tolerance_s:
        return f"Stripe-Signature timestamp is more than {tolerance_s:g} s from now"
    signed = timestamps[0].encode() + b"." + payload
    for secret in secrets:
        expected = _hmac_sha256(secret, signed).hex()
        if any(hmac.compare_digest(expected, given) for given in signatures):
            return None
    return "Stripe-Signature does not match any configured signing secret"


def zendesk_problem(
    signature: str | None,
    timestamp: str | None,
    payload: bytes,
    secrets: Sequence[str],
    now: datetime,
    tolerance_s: float,
) -> str | None:
    """Check `X-Zendesk-Webhook-Signature`: base64 HMAC-SHA256 of the
    `X-Zendesk-Webhook-Signature-Timestamp` value followed by the body."""
    if not signature or not timestamp:
        return "missing X-Zendesk-Webhook-Signature or X-Zendesk-Webhook-Signature-Timestamp"
    try:
        signed_at = datetime.fromisoformat(timestamp)
    except ValueError:
        return "X-Zendesk-Webhook-Signature-Timestamp is not an ISO 8601 time"
    if signed_at.tzinfo is None or abs((now - signed_at).total_seconds()) > tolerance_s:
        return f"X-Zendesk-Webhook-Signature-Timestamp is more than {tolerance_s:g} s from now"
    signed = timestamp.encode() + payload
    for secret in secrets:
        expected = base64.b64encode(_hmac_sha256(secret, signed)).decode()
        if hmac.compare_digest(expected, signature):
            return None
    return "X-Zendesk-Webhook-Signature does not match any configured signing secret"
