"""Webhook signatures: what the providers' own signing produces is accepted, anything else not."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import stripe

from services.ingest.signatures import stripe_problem, zendesk_problem
from tests.support.sources import (
    ZENDESK_TEST_SECRET,
    stripe_events,
    stripe_request,
    zendesk_event,
    zendesk_request,
)

EVENT = stripe_events()["evt_1Test0004"]
BODY = stripe_request(EVENT, "whsec_new")[0]


def signed_now(secret: str = "whsec_new") -> str:
    """A Stripe-Signature header made now (a module-level one would age while tests run)."""
    return stripe_request(EVENT, secret)[1]["Stripe-Signature"]


def test_a_stripe_signature_made_by_the_stripe_library_is_accepted() -> None:
    header = signed_now()
    assert stripe.WebhookSignature.verify_header(BODY.decode(), header, "whsec_new", 300)
    assert stripe_problem(header, BODY, ["whsec_new"], time.time()) is None


def test_during_a_rotation_either_secret_verifies() -> None:
    for header in (signed_now("whsec_old"), signed_now("whsec_new")):
        assert stripe_problem(header, BODY, ["whsec_old", "whsec_new"], time.time()) is None


@pytest.mark.parametrize(
    ("make_header", "body", "secrets", "reason"),
    [
        (lambda: None, BODY, ["whsec_new"], "missing"),
        (lambda: "v1=abc", BODY, ["whsec_new"], "no valid t="),
        (lambda: signed_now().split(",")[0], BODY, ["whsec_new"], "no v1"),
        (signed_now, BODY + b" ", ["whsec_new"], "does not match"),
        (signed_now, BODY, ["whsec_other"], "does not match"),
    ],
)
def test_a_wrong_or_missing_stripe_signature_is_refused_with_the_reason(
    make_header: Callable[[], str | None], body: bytes, secrets: list[str], reason: str
) -> None:
    header = make_header()
    problem = stripe_problem(header, body, secrets, time.time())
    assert problem is not None and reason in problem
    if header:
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.WebhookSignature.verify_header(body.decode(), header, secrets[0], 300)


def test_a_stripe_signature_older_than_the_tolerance_is_refused() -> None:
    signed_at = int(time.time()) - 301
    body, headers = stripe_request(EVENT, "whsec_new", signed_at)
    problem = stripe_problem(headers["Stripe-Signature"], body, ["whsec_new"], time.time())
    assert problem is not None and "300 s" in problem
    at_limit = stripe_problem(headers["Stripe-Signature"], body, ["whsec_new"], signed_at + 300)
    assert at_limit is None


def test_a_zendesk_signature_over_timestamp_and_body_is_accepted() -> None:
    body, headers = zendesk_request(zendesk_event("created"))
    signature = headers["X-Zendesk-Webhook-Signature"]
    stamp = headers["X-Zendesk-Webhook-Signature-Timestamp"]
    now = datetime.now(UTC)
    assert zendesk_problem(signature, stamp, body, ["other", ZENDESK_TEST_SECRET], now, 300) is None
    assert "does not match" in str(
        zendesk_problem(signature, stamp, body + b"x", [ZENDESK_TEST_SECRET], now, 300)
    )
    assert "missing" in str(zendesk_problem(None, stamp, body, [ZENDESK_TEST_SECRET], now, 300))
    late = now + timedelta(seconds=301)
    assert "300 s" in str(zendesk_problem(signature, stamp, body, [ZENDESK_TEST_SECRET], late, 300))
    assert "ISO 8601" in str(
        zendesk_problem(signature, "yesterday", body, [ZENDESK_TEST_SECRET], now, 300)
    )
