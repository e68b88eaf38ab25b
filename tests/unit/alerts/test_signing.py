"""Webhook signatures follow Standard Webhooks: the reference library verifies them."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.alerts import signing


def test_secrets_are_whsec_prefixed_and_unique() -> None:
    a, b = signing.new_secret(), signing.new_secret()
    assert a.startswith("whsec_") and a != b


def test_reference_library_verifies_our_signature() -> None:
    secret, body = signing.new_secret(), b'{"type":"alert.created","data":{}}'
    headers = signing.headers(secret, "msg_1", int(time.time()), body)
    assert Webhook(secret).verify(body, headers) == {"type": "alert.created", "data": {}}


@pytest.mark.parametrize("tamper", ["body", "secret"])
def test_tampered_body_or_wrong_secret_fails(tamper: str) -> None:
    secret, body = signing.new_secret(), b'{"a":1}'
    headers = signing.headers(secret, "msg_1", int(time.time()), body)
    key = signing.new_secret() if tamper == "secret" else secret
    data = b'{"a":2}' if tamper == "body" else body
    with pytest.raises(WebhookVerificationError):
        Webhook(key).verify(data, headers)


def test_verify_accepts_any_matching_signature_of_several() -> None:
    secret, body = signing.new_secret(), b"{}"
    good = signing.sign(secret, "msg_1", 100, body)
    assert signing.verify(secret, "msg_1", 100, body, f"v1,bogus {good}")
    assert not signing.verify(secret, "msg_1", 101, body, good)


def test_the_specifications_test_vector_is_signed_and_verified() -> None:
    secret, msg_id, timestamp = (
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
    )
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert signing.sign(secret, msg_id, timestamp, b'{"test": 2432232314}') == expected
    assert signing.verify(secret, msg_id, timestamp, b'{"test": 2432232314}', expected)
