"""DeadLetter.of: a dead letter always fits on its topic and still identifies the original."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from schemas import DeadLetter
from schemas.codec import encode
from schemas.dead_letters import MAX_ERROR_CHARS, MAX_KEY_CHARS, MAX_VALUE_BYTES

NOW = datetime(2026, 11, 1, tzinfo=UTC)
BROKER_MESSAGE_BYTES = 1_000_000


def letter(value: bytes, key: str | None = "acct-1", error: str = "late") -> DeadLetter:
    return DeadLetter.of(value, key, error, "late", "scorer", NOW, "usage-events", 3, 17)


def test_a_small_value_is_carried_whole() -> None:
    dead = letter(b'{"a":1}')
    assert dead.original_value() == b'{"a":1}' and not dead.truncated
    assert dead.value_bytes == 7
    assert dead.value_sha256 == hashlib.sha256(b'{"a":1}').hexdigest()


def test_a_value_too_big_for_the_broker_is_cut_and_referenced_by_hash_and_position() -> None:
    value = b'{"p":"' + b"x" * 900_000 + b'"}'
    dead = letter(value)
    assert len(encode(dead)) < BROKER_MESSAGE_BYTES // 10
    assert dead.truncated and dead.original_value() == value[:MAX_VALUE_BYTES]
    assert (dead.value_bytes, dead.value_sha256) == (len(value), hashlib.sha256(value).hexdigest())
    assert (dead.source_topic, dead.partition, dead.offset) == ("usage-events", 3, 17)


def test_huge_keys_and_errors_are_cut_too() -> None:
    dead = letter(b"{}", key="k" * 900_000, error="e" * 900_000)
    assert dead.truncated
    assert dead.key is not None and len(dead.key) == MAX_KEY_CHARS
    assert len(dead.error) == MAX_ERROR_CHARS
    assert len(encode(dead)) < 10_000
