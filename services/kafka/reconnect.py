"""Keeping a Kafka client loop alive across broker outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def keep_running(
    session: Callable[[], Awaitable[None]],
    what: str,
    on_failure: Callable[[], None],
    retry_s: float = 2.0,
) -> None:
    """Run `session` until cancelled, starting it again `retry_s` after any error."""
    while True:
        try:
            await session()
        except asyncio.CancelledError:
            raise
        except Exception:
            on_failure()
            log.exception("%s failed; reconnecting in %gs", what, retry_s)
            await asyncio.sleep(retry_s)
