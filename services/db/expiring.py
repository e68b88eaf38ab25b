"""A bounded map whose entries expire, for caches of database answers."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Expiring(Generic[K, V]):
    """At most `max_entries` entries, each kept `ttl_s` seconds; the oldest stored go first."""

    def __init__(self, ttl_s: float, max_entries: int, clock: Callable[[], float]) -> None:
        self.ttl_s, self.max_entries, self.clock = ttl_s, max_entries, clock
        self.entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> tuple[V] | None:
        """The value stored for `key` (boxed, as it may be None), unless missing or expired."""
        hit = self.entries.get(key)
        if hit is None:
            return None
        if self.clock() >= hit[0]:
            del self.entries[key]
            return None
        return (hit[1],)

    def put(self, key: K, value: V) -> None:
        """Store `value` for `key` for `ttl_s` seconds."""
        self.entries.pop(key, None)
        self.entries[key] = (self.clock() + self.ttl_s, value)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)

    def drop(self, key: K) -> None:
        """Forget `key`."""
        self.entries.pop(key, None)

    def __len__(self) -> int:
        return len(self.entries)
