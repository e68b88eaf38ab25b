"""Faults injected into the real code: a function that fails on the inputs a test picks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def fail_on(
    monkeypatch: pytest.MonkeyPatch,
    owner: object,
    name: str,
    error: Exception,
    picked: Callable[..., bool],
) -> None:
    """Make `owner.<name>` raise `error` on the calls whose arguments `picked` chooses, and
    work as before on the others."""
    real = getattr(owner, name)

    def failing(*args: Any) -> Any:
        if picked(*args):
            raise error
        return real(*args)

    monkeypatch.setattr(owner, name, failing)
