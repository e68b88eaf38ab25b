"""A scorer worker whose model does nothing (`bench/scorer.py --null-model`).

Everything the worker does around the model still runs: fetching, decoding and validating each
event, offset-exact redelivery checks, a snapshot and a changelog write per account per batch,
offset commits and metrics. The model only notes that the event arrived, so the rate this worker
reaches is the ceiling that the worker's shell leaves for any model in one process.
"""

from __future__ import annotations

import sys
from datetime import datetime

from schemas import Event, RiskChange
from services import cli
from services.scorer import batch
from services.scorer.model import AccountState, HealthModel


def note_only(
    state: AccountState,
    event: Event,
    model: HealthModel,
    now: datetime | None,
    position: tuple[str, int] | None,
) -> tuple[AccountState, RiskChange | None]:
    """Count the event and move the account's event time; judge nothing. Called as
    score_batch calls the model's `apply`: with every argument."""
    if state.redelivered(position):
        return state, None
    state.events_seen += 1
    t = int(event.occurred_at.timestamp())
    state.as_of = max(state.as_of or t, t)
    return state, None


if __name__ == "__main__":
    batch.apply = note_only  # type: ignore[attr-defined]  # the name score_batch calls
    sys.argv = ["healthmon", "scorer"]
    cli.main()
