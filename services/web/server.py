"""Serving an ASGI app: uvicorn, waking once a second when idle instead of ten times."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn

TICK_S = 1.0
"""How often the idle server wakes: to refresh its Date header and to see a stop request. uvicorn
wakes every 0.1 s for the same, which was a third of an idle service's wake-ups
(bench/idle.py); stopping now takes up to this long."""


class QuietServer(uvicorn.Server):
    """uvicorn's server with a slower idle tick."""

    async def main_loop(self) -> None:
        # on_tick(0) refreshes the Date header, then says whether to stop
        while not await self.on_tick(0):
            await asyncio.sleep(TICK_S)


def serve(app: Any, host: str, port: int, log_level: str) -> None:
    """Serve `app` with uvicorn until interrupted."""
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False)
    QuietServer(config).run()
