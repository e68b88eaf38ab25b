"""A bounded map whose entries expire, and the cached stores of database answers built on it."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from services.db.sql import Database

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


class CachedStore:
    """A store in the database whose answers are kept in bounded, expiring caches.

    Subclasses set TTL_S and MAX_ENTRIES and make their caches in `clear` (called at start)
    with `cache`. Their methods are blocking I/O: async code calls them through a thread
    (asyncio.to_thread).
    """

    TTL_S = 5.0
    MAX_ENTRIES = 10_000

    def __init__(
        self,
        database: Database,
        ttl_s: float | None = None,
        max_entries: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.ttl_s = self.TTL_S if ttl_s is None else ttl_s
        self.max_entries = self.MAX_ENTRIES if max_entries is None else max_entries
        self.clock = clock
        self._lock = threading.Lock()
        self.clear()

    def cache(self) -> Expiring[Any, Any]:
        """A new cache with this store's time to live, size and clock."""
        return Expiring(self.ttl_s, self.max_entries, self.clock)

    def clear(self) -> None:
        """Forget every cached answer."""
