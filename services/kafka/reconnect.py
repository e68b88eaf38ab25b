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


class Reconnecting:
    """A service's Kafka loop (`_consume`), started again after any error; `_disconnected` is
    told first."""

    what = "Kafka loop"
    """How the log names it."""

    async def run(self) -> None:
        """Consume until cancelled, reconnecting after errors."""
        await keep_running(self._consume, self.what, self._disconnected)

    async def _consume(self) -> None:
        raise NotImplementedError

    def _disconnected(self) -> None:
        """The loop failed (nothing to note by default)."""
