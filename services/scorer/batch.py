"""Scoring a batch of raw input messages: decode, dedupe, apply the model, collect the outputs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from schemas import EVENT_ADAPTER, AccountUpdate, DeadLetter, Event, HealthSnapshot, RiskChange
from schemas.codec import dumps, loads
from schemas.dead_letters import Stage
from schemas.errors import describe, field_errors
from services.kafka.messages import Message, dead_letter
from services.scorer.model import (
    AccountState,
    HealthModel,
    LateEvent,
    apply,
    apply_traits,
    last_health,
)
from services.scorer.model.apply import component_values

SERVICE = "scorer"
Position = tuple[str, int, int]
"""Where a record is: topic, partition, offset."""


class PoisonRecord(Exception):
    """Scoring failed on one record (a fault of the model on that input, not of the broker)."""

    def __init__(self, msg: Message, error: str) -> None:
        super().__init__(f"{msg.topic}[{msg.partition}] offset {msg.offset}: {error}")
        self.position: Position = (msg.topic, msg.partition, msg.offset)
        self.error = error


@dataclass
class BatchResult:
    """What a batch produced; states are the accounts touched, to be written back once each."""

    changes: list[RiskChange] = field(default_factory=list)
    states: dict[str, AccountState] = field(default_factory=dict)
    partitions: dict[str, int] = field(default_factory=dict)
    """The input partition of each account touched (where its state belongs)."""
    dead_letters: list[DeadLetter] = field(default_factory=list)
    received_at: list[float] = field(default_factory=list)
    """When ingest received the event behind each change of `changes` (POSIX seconds)."""
    newest: dict[str, float] = field(default_factory=dict)
    """The newest event time scored, per kind of event (POSIX seconds)."""
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Messages per (topic, outcome): scored, duplicate, traits, late, future, poison or
    dead_letter."""


@dataclass(frozen=True)
class Rejected:
    """Why a message could not be used."""

    error: str
    stage: Stage


def decode(msg: Message, kind: str) -> Event | AccountUpdate | Rejected:
    """The event or account update a message holds, for the topic of `kind`.

    Parsed with orjson, then validated from Python data: the event union picks its variant with
    a Python discriminator, for which pydantic's own JSON path costs twice as much.
    """
    raw = msg.value or b""
    try:
        data = loads(raw)
    except ValueError as not_json:
        return Rejected(f"not JSON: {not_json}", "decode")
    try:
        item: Event | AccountUpdate = (
            AccountUpdate.model_validate(data)
            if kind == "account"
            else EVENT_ADAPTER.validate_python(data)
        )
    except ValidationError as exc:
        return Rejected(describe(field_errors(exc.errors(), data)), "validate")
    if not isinstance(item, AccountUpdate) and item.kind != kind:
        return Rejected(f"kind: a {item.kind} event on the {kind} topic", "validate")
    return item


def score_batch(
    messages: Sequence[Message],
    topic_kinds: dict[str, str],
    load: Callable[[str], AccountState | None],
    model: HealthModel,
    now: datetime | None = None,
    max_future_s: float | None = None,
    poison: Mapping[Position, str] | None = None,
) -> BatchResult:
    """Apply every message in order; undecodable, invalid, too-late or too-early ones become
    dead letters.

    `topic_kinds` maps each input topic to `usage`, `ticket`, `payment` or `account`. An event
    dated more than `max_future_s` after `now` may not move its account's clock. The records
    at the positions in `poison` failed before: they become dead letters with that error. Any
    other failure raises PoisonRecord naming the record; the states may then be half-changed,
    and the caller must restore them before scoring again.
    """
    now = now or datetime.now(UTC)
    latest = now.timestamp() + max_future_s if max_future_s is not None else None
    result = BatchResult()
    for msg in messages:
        if poison and (failed := poison.get((msg.topic, msg.partition, msg.offset))):
            result.dead_letters.append(dead_letter(msg, failed, "process", SERVICE, now))
            result.outcomes[msg.topic, "poison"] += 1
            continue
        try:
            _score_one(msg, topic_kinds[msg.topic], load, model, now, latest, result)
        except Exception as exc:
            raise PoisonRecord(msg, f"{type(exc).__name__}: {exc}") from exc
    return result


def _score_one(
    msg: Message,
    kind: str,
    load: Callable[[str], AccountState | None],
    model: HealthModel,
    now: datetime,
    latest: float | None,
    result: BatchResult,
) -> None:
    """Score one message into `result`."""
    item = decode(msg, kind)
    if isinstance(item, Rejected):
        result.dead_letters.append(dead_letter(msg, item.error, item.stage, SERVICE, now))
        result.outcomes[msg.topic, "dead_letter"] += 1
        return
    if not isinstance(item, AccountUpdate):
        t = item.occurred_at.timestamp()
        if latest is not None and t > latest:
            error = (
                f"occurred_at: {item.occurred_at.isoformat()} is "
                f"{t - now.timestamp():.0f} s ahead of the scorer's clock; events may be at "
                f"most {latest - now.timestamp():g} s ahead"
            )
            result.dead_letters.append(dead_letter(msg, error, "future", SERVICE, now))
            result.outcomes[msg.topic, "future"] += 1
            return
        if t > result.newest.get(kind, 0.0):
            result.newest[kind] = t
    account_id = item.account_id
    state = result.states.get(account_id) or load(account_id) or AccountState(account_id)
    result.states[account_id] = state
    result.partitions[account_id] = msg.partition
    if isinstance(item, AccountUpdate):
        apply_traits(state, item)
        result.outcomes[msg.topic, "traits"] += 1
        return
    seen = state.events_seen
    try:
        _, change = apply(state, item, model, now, (kind[0], msg.offset))
    except LateEvent as exc:
        result.dead_letters.append(dead_letter(msg, str(exc), "late", SERVICE, now))
        result.outcomes[msg.topic, "late"] += 1
        return
    result.outcomes[msg.topic, "scored" if state.events_seen > seen else "duplicate"] += 1
    if change is not None:
        result.changes.append(change)
        result.received_at.append(item.received_at.timestamp())


def snapshot(
    state: AccountState, model: HealthModel, now: datetime, stale: frozenset[str] = frozenset()
) -> HealthSnapshot:
    """The latest health of an account, for the compacted snapshots topic."""
    return HealthSnapshot.model_validate(snapshot_values(state, model, now, stale))


def snapshot_record(
    state: AccountState, model: HealthModel, now: datetime, stale: frozenset[str] = frozenset()
) -> bytes:
    """`snapshot` encoded for the topic, built without model objects: it runs for every account
    of every batch (a test holds it to the same bytes as the model's encoding)."""
    return dumps(snapshot_values(state, model, now, stale))


def snapshot_values(
    state: AccountState, model: HealthModel, now: datetime, stale: frozenset[str]
) -> dict[str, Any]:
    """The fields of the account's HealthSnapshot."""
    health = last_health(state, model, stale)
    as_of = datetime.fromtimestamp(state.as_of, UTC) if state.as_of else now
    return {
        "account_id": state.account_id,
        "score": state.score,
        "band": state.band,
        "components": component_values(health),
        "stale": sorted(p.name for p in health.parts if p.stale),
        "model_version": model.version,
        "as_of": as_of,
        "updated_at": now,
        "last_change_seq": state.seq,
        "events_seen": state.events_seen,
        "segment": state.traits.get("segment"),
        "csm_owner": state.traits.get("csm_owner"),
        "schema_version": 1,
    }
