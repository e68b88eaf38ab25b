"""Webhook signing: the Standard Webhooks reference library (`standardwebhooks`, which
services/alerts/signing.py calls) against the HMAC written out with the standard library (what
healthmon did before), on the specification's test vector and on alert-sized bodies.

Prints whether each signs the reference vector right and agrees with the other on random
messages, then the time to sign one message (median of several runs of many signatures), and
the library's time as a ratio of the hand-written one's.
`python bench/signing.py [--runs 7] [--count 20000]`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import statistics
import time
from collections.abc import Callable

from services.alerts import signing

# The test vector of the Standard Webhooks specification (and of its reference libraries).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR = ("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def ours(secret: str) -> Callable[[str, int, bytes], str]:
    """HMAC-SHA256 of "id.timestamp.body" with the base64 key after `whsec_`, by hand."""
    key = base64.b64decode(secret.removeprefix("whsec_"))

    def sign(msg_id: str, timestamp: int, body: bytes) -> str:
        signed = f"{msg_id}.{timestamp}.".encode() + body
        return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()

    return sign


def library(secret: str) -> Callable[[str, int, bytes], str]:
    """What healthmon signs with: services/alerts/signing.py over the reference library."""
    return lambda msg_id, timestamp, body: signing.sign(secret, msg_id, timestamp, body)


def per_signature_us(sign: Callable[[str, int, bytes], str], body: bytes, count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        sign(f"msg_{i}", 1_764_000_000 + i, body)
    return (time.perf_counter() - started) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--body-bytes", type=int, default=2_000, help="an alert is ~2 kB")
    args = parser.parse_args()

    signers = {"by hand": ours, "standardwebhooks": library}
    for name, make in signers.items():
        right = make(VECTOR_SECRET)(*VECTOR) == VECTOR_SIGNATURE
        print(f"{name}: reference test vector {'signed right' if right else 'WRONG'}")
    secret = signing.new_secret()
    samples = [
        (f"msg_{i}", 1_764_000_000 + i, os.urandom(i % 64).hex().encode() + "é€".encode())
        for i in range(1_000)
    ]
    agree = all(ours(secret)(*s) == library(secret)(*s) for s in samples)
    print(f"both sign {len(samples)} random messages alike: {agree}")

    body = b'{"type":"alert.created","data":' + b"x" * args.body_bytes + b"}"
    times: dict[str, list[float]] = {name: [] for name in signers}
    for _ in range(args.runs):
        for name, make in signers.items():  # alternated, so load hits both alike
            times[name].append(per_signature_us(make(secret), body, args.count))
    median = {name: statistics.median(t) for name, t in times.items()}
    for name, value in median.items():
        print(f"{name}: {value:.2f} µs per signature (median of {args.runs} runs of {args.count})")
    ratio = median["standardwebhooks"] / median["by hand"]
    print(f"standardwebhooks / by hand: {ratio:.2f}x")


if __name__ == "__main__":
    main()
