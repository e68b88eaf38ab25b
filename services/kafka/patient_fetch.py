"""Long polling for brokers that answer an empty fetch at once (noida does; Kafka waits).

A Kafka broker holds a fetch that finds no data for up to the consumer's `fetch_max_wait_ms`
and answers as soon as data arrives, so an idle consumer costs nothing. A broker that answers
empty fetches at once turns aiokafka's background fetcher into a busy loop (85% of a core per
idle service, measured). With this installed, an empty answer that came back early is followed
by a pause before the next fetch to that broker, for the rest of the consumer's
`fetch_max_wait_ms`: the consumer fetches as often as it would from a long-polling broker, and
the first event after a quiet spell waits at most that long more. A broker that long-polls
(Kafka, Tansu) answers empty fetches only after the wait, so it sees no pause.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka.consumer.fetcher import Fetcher

_ORIGINAL = Fetcher._proc_fetch_request


async def _fetch_then_pause_if_empty(
    self: Any, assignment: Any, node_id: int, request: Any
) -> bool:
    """aiokafka's fetch; then, if it brought nothing back early, the pause the broker skipped.
    The node counts as busy until this returns, so no other fetch goes to it meanwhile."""
    started = time.monotonic()
    got: bool = await _ORIGINAL(self, assignment, node_id, request)
    if not got:
        rest = self._fetch_max_wait_ms / 1000 - (time.monotonic() - started)
        if rest > 0:
            try:
                await asyncio.sleep(rest)
            except asyncio.CancelledError:  # as aiokafka's own fetch: closing, or unassigned
                return False
    return got


def install() -> None:
    """Make every aiokafka consumer in this process pause after early empty fetches (once)."""
    Fetcher._proc_fetch_request = _fetch_then_pause_if_empty
