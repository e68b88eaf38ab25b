"""Helpers for driving the pure model in tests."""

from __future__ import annotations

import re
from importlib.resources import files

from schemas import Event, RiskChange
from services.scorer.model import AccountState, HealthModel, apply, default_model
from services.scorer.model.config import DEFAULT_MODEL, parse_model
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


DEFAULT_TOML = files("services.scorer.model").joinpath(DEFAULT_MODEL).read_text()
"""The text of the model file shipped with healthmon."""

STRICT_TOML = re.sub(
    r'^version = ".*"$', 'version = "strict-1"',
    DEFAULT_TOML.replace("green = 70", "green = 99.5").replace("yellow = 40", "yellow = 90"),
    count=1, flags=re.MULTILINE,
)  # fmt: skip
"""The default model with much higher band edges: most accounts score lower bands under it."""


def strict_model() -> HealthModel:
    """The model of STRICT_TOML."""
    return parse_model(STRICT_TOML, "strict")
