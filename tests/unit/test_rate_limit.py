"""The per-key token bucket."""

from __future__ import annotations

from services.web.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_requests_wait_for_the_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=3, clock=clock)
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("k") == 0.5  # one token comes back every 0.5 s
    clock.now += 0.5
    assert limiter.take("k") == 0.0
    assert limiter.take("other") == 0.0  # every key has its own bucket


def test_the_bucket_never_holds_more_than_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=10, burst=2, clock=clock)
    limiter.take("k")
    clock.now += 3600
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.1]


def test_rate_zero_means_no_limit_and_retry_after_is_whole_seconds() -> None:
    limiter = RateLimiter(rate=0, burst=0)
    assert all(limiter.take("k") == 0.0 for _ in range(1000))
    assert RateLimiter.retry_after(0.1) == "1" and RateLimiter.retry_after(2.2) == "3"


def test_waiting_is_reported_without_taking_a_token() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1, burst=2, clock=clock)
    assert limiter.wait("k") == 0.0  # an unseen key has a full bucket
    limiter.take("k")
    assert [limiter.wait("k") for _ in range(5)] == [0.0] * 5
    limiter.take("k")
    assert limiter.wait("k") == 1.0
    clock.now += 1
    assert limiter.wait("k") == 0.0


def test_only_the_most_recently_used_buckets_are_kept() -> None:
    limiter = RateLimiter(rate=1, burst=1, clock=Clock(), max_keys=3)
    for key in ("a", "b", "c"):
        limiter.take(key)
    limiter.take("a")  # used again: now the most recent
    limiter.take("d")
    assert list(limiter.buckets) == ["c", "a", "d"]
    assert limiter.take("b") == 0.0  # forgotten, so it starts full again
    assert len(limiter.buckets) == 3
