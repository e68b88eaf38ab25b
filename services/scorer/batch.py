"""Scoring a batch of raw input messages: decode, dedupe, apply the model, collect the outputs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError

from schemas import EVENT_ADAPTER, AccountUpdate, Component, DeadLetter, HealthSnapshot, RiskChange
from schemas.errors import describe, field_errors
from services.codec import loads
from services.messages import RawMessage, dead_letter
from services.scorer.model import MODEL_VERSION, AccountState, apply, apply_traits
from services.scorer.model.scoring import components

SERVICE = "scorer"


@dataclass
class BatchResult:
    """What a batch produced; states are the accounts touched, to be written back once each."""

    changes: list[RiskChange] = field(default_factory=list)
    states: dict[str, AccountState] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Messages per (topic, outcome): scored, duplicate, dead_letter or traits."""


def score_batch(
    messages: list[RawMessage],
    account_topic: str,
    load: Callable[[str], AccountState | None],
    now: datetime | None = None,
) -> BatchResult:
    """Apply every message in order; undecodable or invalid ones become dead letters."""
    now = now or datetime.now(UTC)
    result = BatchResult()
    for msg in messages:
        try:
            data = loads(msg.value or b"")
        except ValueError as exc:
            result.dead_letters.append(dead_letter(msg, f"not JSON: {exc}", "decode", SERVICE, now))
            result.outcomes[msg.topic, "dead_letter"] += 1
            continue
        try:
            item = (
                AccountUpdate.model_validate(data)
                if msg.topic == account_topic
                else EVENT_ADAPTER.validate_python(data)
            )
        except ValidationError as exc:
            result.dead_letters.append(
                dead_letter(
                    msg, describe(field_errors(exc.errors(), data)), "validate", SERVICE, now
                )
            )
            result.outcomes[msg.topic, "dead_letter"] += 1
            continue
        account_id = item.account_id
        state = result.states.get(account_id) or load(account_id) or AccountState(account_id)
        result.states[account_id] = state
        if isinstance(item, AccountUpdate):
            apply_traits(state, item)
            result.outcomes[msg.topic, "traits"] += 1
            continue
        if state.seen(item.event_id):
            result.outcomes[msg.topic, "duplicate"] += 1
            continue
        _, change = apply(state, item, now)
        result.outcomes[msg.topic, "scored"] += 1
        if change is not None:
            result.changes.append(change)
    return result


def snapshot(state: AccountState, now: datetime) -> HealthSnapshot:
    """The latest health of an account, for the compacted snapshots topic."""
    return HealthSnapshot(
        account_id=state.account_id,
        score=state.score,
        band=state.band,
        components=[Component(**vars(p)) for p in components(state)],
        model_version=MODEL_VERSION,
        as_of=datetime.fromtimestamp(state.as_of, UTC) if state.as_of else now,
        updated_at=now,
        last_change_seq=state.seq,
        events_seen=state.events_seen,
        segment=state.traits.get("segment"),
        csm_owner=state.traits.get("csm_owner"),
    )
