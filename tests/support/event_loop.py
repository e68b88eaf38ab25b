"""Catching blocking database work done on a thread that runs an event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def sql_on_the_event_loop() -> Iterator[list[str]]:
    """The SQL statements any engine runs, meanwhile, on a thread with a running event loop."""
    seen: list[str] = []

    def check(*args: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        seen.append(args[2])

    event.listen(Engine, "before_cursor_execute", check)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", check)
