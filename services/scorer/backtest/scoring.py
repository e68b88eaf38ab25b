"""The one place the backtest calls the health model: the pure model the scorer runs."""

from __future__ import annotations

from datetime import datetime

from schemas import AccountUpdate, Event, RiskChange
from services.scorer.model import (
    AccountState,
    HealthModel,
    apply,
    apply_traits,
    evaluate,
    last_health,
)
from services.scorer.model.evaluate import Evaluation
from services.scorer.model.population import Population


class ModelScorer:
    """A model file's scoring of accounts, as the scorer does it: events folded in with `apply`,
    silence judged with `evaluate` at each midnight. The accounts are each other's population,
    as a scorer partition's are: feed them in event-time order for their segments' levels to be
    the scorer's."""

    def __init__(self, model: HealthModel) -> None:
        self.model = model
        self.population = Population()

    def new_state(self, account_id: str) -> AccountState:
        """The state of an account nothing is known of."""
        state = AccountState(account_id)
        self.population.add(state)
        return state

    def traits(self, state: AccountState, update: AccountUpdate) -> None:
        """Merge an account update."""
        apply_traits(state, update)

    def event(self, state: AccountState, event: Event) -> RiskChange | None:
        """Fold one event in (raises LateEvent past the lateness bound); the change, if any."""
        return apply(state, event, self.model, event.occurred_at)[1]

    def midnight(self, state: AccountState, at: datetime) -> RiskChange | None:
        """Re-evaluate the account at `at`; the change, if any."""
        return evaluate(state, self.model, at)[1] if state.as_of is not None else None

    def health(self, state: AccountState) -> Evaluation:
        """The health as last evaluated, with its components and signals."""
        return last_health(state, self.model)
