"""Token buckets per key (an API key, or a client address for failed authentications)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_KEYS = 100_000
"""Most buckets kept; past it the least recently used one is forgotten (it starts full again)."""


@dataclass
class RateLimiter:
    """`rate` requests per second per key on average, up to `burst` at once; rate 0 disables."""

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    max_keys: int = MAX_KEYS
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    """key -> (tokens left, when they were counted), least recently used first."""

    def _tokens(self, key: str, now: float) -> float:
        tokens, then = self.buckets.pop(key, (self.burst, now))
        return min(self.burst, tokens + (now - then) * self.rate)

    def _keep(self, key: str, tokens: float, now: float) -> None:
        self.buckets[key] = (tokens, now)
        if len(self.buckets) > self.max_keys:
            del self.buckets[next(iter(self.buckets))]

    def take(self, key: str) -> float:
        """Take one token for `key`: 0 if allowed, else the seconds until one is available."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        tokens = self._tokens(key, now)
        if tokens >= 1:
            self._keep(key, tokens - 1, now)
            return 0.0
        self._keep(key, tokens, now)
        return (1 - tokens) / self.rate

    def wait(self, key: str) -> float:
        """The seconds until `key` has a token (0 if it has one now), taking none."""
        if self.rate <= 0 or key not in self.buckets:
            return 0.0
        now = self.clock()
        tokens = self._tokens(key, now)
        self._keep(key, tokens, now)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    @staticmethod
    def retry_after(wait_s: float) -> str:
        """The Retry-After header for a wait: whole seconds, at least 1."""
        return str(max(1, math.ceil(wait_s)))
