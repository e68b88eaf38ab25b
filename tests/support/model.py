"""Helpers for driving the pure model in tests."""

from __future__ import annotations

from schemas import Event, RiskChange
from services.scorer.model import AccountState, HealthModel, apply, default_model
from tests.support.events import T0


def fold_all(
    events: list[Event], state: AccountState | None = None, model: HealthModel | None = None,
    account: str = "acct-1",
) -> tuple[AccountState, list[RiskChange]]:  # fmt: skip
    """Apply `events` in order; return the state and every change published."""
    state = state or AccountState(account)
    changes = []
    for ev in events:
        state, change = apply(state, ev, model or default_model(), T0)
        if change is not None:
            changes.append(change)
    return state, changes
