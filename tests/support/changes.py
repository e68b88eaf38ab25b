"""Builders of risk changes for tests."""

from __future__ import annotations

from typing import Any

from schemas import RiskChange
from tests.support.events import T0

SCORES: dict[str, float | None] = {"green": 80.0, "yellow": 55.0, "red": 20.0, "unknown": None}


def risk_change(
    previous: str = "green", current: str = "red", reason: str = "usage.down",
    account: str = "acct-1", seq: int = 1, **extra: Any,
) -> RiskChange:  # fmt: skip
    """A risk change of `account` from band `previous` to `current`."""
    return RiskChange(
        change_id=f"{account}:{seq}", account_id=account, seq=seq, occurred_at=T0, emitted_at=T0,
        model_version="test", previous={"score": SCORES[previous], "band": previous},
        current={"score": SCORES[current], "band": current}, delta=None, trend_7d=None,
        components=[], reasons=[{"code": reason, "message": "Usage fell."}],
        trigger_event_ids=["ev-1"], **extra,
    )  # fmt: skip
