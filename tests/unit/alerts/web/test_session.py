"""Session cookies: what is signed verifies until it expires; anything altered does not."""

from __future__ import annotations

from services.alerts.web.session import MAX_AGE_S, csrf_matches, new_person, sign, verify

KEY = b"k" * 32


def test_a_signed_session_verifies_until_it_expires() -> None:
    person = new_person("key_1", frozenset({"alerts:read"}), "kim@example.com", now=1000)
    value = sign(person, KEY)
    assert verify(value, KEY, now=1000) == person
    assert verify(value, KEY, now=1000 + MAX_AGE_S) is None


def test_an_altered_or_foreign_cookie_does_not_verify() -> None:
    value = sign(new_person("key_1", frozenset({"*"}), "kim", now=0), KEY)
    body, mac = value.split(".")
    assert verify(value, b"other" * 8, now=0) is None
    assert verify(body[:-2] + "xx." + mac, KEY, now=0) is None
    assert verify(body, KEY, now=0) is None
    assert verify("", KEY, now=0) is None


def test_scopes_and_csrf_tokens() -> None:
    reader = new_person("key_1", frozenset({"alerts:read"}), "kim", now=0)
    writer = new_person("key_2", frozenset({"alerts:*"}), "kim", now=0)
    assert reader.allows("alerts:read") and not reader.allows("alerts:write")
    assert writer.allows("alerts:write")
    assert reader.csrf != writer.csrf
    assert csrf_matches(reader, reader.csrf)
    assert not csrf_matches(reader, writer.csrf) and not csrf_matches(reader, None)
