"""A 128-bit linear-counting sketch: distinct users per day in 16 bytes, mergeable with OR."""

from __future__ import annotations

import hashlib
import math

BITS = 128


def user_bit(user_id: str) -> int:
    """The bit a user sets."""
    digest = hashlib.blake2b(user_id.encode(), digest_size=8).digest()
    return 1 << (int.from_bytes(digest, "big") % BITS)


def estimate(bitmap: int) -> float:
    """Estimated number of distinct users behind `bitmap` (linear counting)."""
    zeros = BITS - bitmap.bit_count()
    if zeros == 0:
        return BITS * math.log(BITS)
    return -BITS * math.log(zeros / BITS)


def id_hash(event_id: str) -> str:
    """A short, stable hash of an event id for the dedupe window."""
    return hashlib.blake2b(event_id.encode(), digest_size=4).hexdigest()
