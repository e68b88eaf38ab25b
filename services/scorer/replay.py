"""Replaying history under a model: recompute every account, and compare with live health."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from schemas import AccountUpdate, Event, Health, Reason, RiskChange, change_id
from services.kafka.messages import RawMessage
from services.scorer.batch import Rejected, decode
from services.scorer.model import AccountState, HealthModel, apply, apply_traits, last_health
from services.scorer.model.apply import components_of, sentence
from services.scorer.state.partitions import PartitionStates

KIND_ORDER = {"account": 0, "usage": 1, "ticket": 2, "payment": 3}
"""At equal times an account update comes first, so the event is judged with the new traits."""


@dataclass
class Replayed:
    """The recomputed state of every account, the changes it made, and what was skipped."""

    states: dict[str, AccountState] = field(default_factory=dict)
    partitions: dict[str, int] = field(default_factory=dict)
    changes: list[RiskChange] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    """Messages by outcome: scored, duplicate, traits, invalid, future."""


def recompute(
    messages: list[RawMessage],
    topic_kinds: dict[str, str],
    model: HealthModel,
    now: datetime,
    max_future_s: float | None = None,
) -> Replayed:
    """Fold the events into fresh states in event-time order under `model`, the accounts of a
    partition each other's population as in the scorer; events dated more than `max_future_s`
    after `now` are left out, as the live scorer leaves them."""
    latest = None if max_future_s is None else now + timedelta(seconds=max_future_s)
    result = Replayed()
    items: list[tuple[datetime, int, int, int, Event | AccountUpdate]] = []
    for msg in messages:
        kind = topic_kinds[msg.topic]
        item = decode(msg, kind)
        if isinstance(item, Rejected):
            result.outcomes["invalid"] += 1
            continue
        at = item.updated_at if isinstance(item, AccountUpdate) else item.occurred_at
        if latest is not None and not isinstance(item, AccountUpdate) and at > latest:
            result.outcomes["future"] += 1
            continue
        items.append((at, KIND_ORDER[kind], msg.partition, msg.offset, item))
        result.partitions[item.account_id] = msg.partition
    held = PartitionStates()
    held.place(result.partitions)
    for *_, item in sorted(items, key=lambda entry: entry[:4]):
        state = result.states.get(item.account_id)
        if state is None:
            state = result.states[item.account_id] = AccountState(item.account_id)
            held.put(item.account_id, state)
        if isinstance(item, AccountUpdate):
            apply_traits(state, item)
            result.outcomes["traits"] += 1
            continue
        seen = state.events_seen
        _, change = apply(state, item, model, now)
        result.outcomes["scored" if state.events_seen > seen else "duplicate"] += 1
        if change is not None:
            result.changes.append(change)
    result.changes.sort(key=lambda change: (change.account_id, change.seq))
    return result


@dataclass(frozen=True)
class Difference:
    """One account's health live and under the replayed model."""

    account_id: str
    live: Health
    replayed: Health

    @property
    def delta(self) -> float | None:
        if self.live.score is None or self.replayed.score is None:
            return None
        return round(self.replayed.score - self.live.score, 2)


@dataclass(frozen=True)
class Comparison:
    """Where the replayed model disagrees with live health."""

    accounts: int
    band_differs: list[Difference]
    movers: list[Difference]
    only_live: list[str]
    only_replayed: list[str]


def compare(live: dict[str, Health], replayed: Replayed, top: int = 10) -> Comparison:
    """Accounts whose band would differ, and the biggest score movers (largest |delta| first)."""
    both = sorted(live.keys() & replayed.states.keys())
    diffs = [
        Difference(a, live[a], Health(score=replayed.states[a].score, band=replayed.states[a].band))
        for a in both
    ]
    moved = [d for d in diffs if d.delta]
    moved.sort(key=lambda d: (-abs(d.delta or 0.0), d.account_id))
    return Comparison(
        accounts=len(both),
        band_differs=[d for d in diffs if d.live.band != d.replayed.band],
        movers=moved[:top],
        only_live=sorted(live.keys() - replayed.states.keys()),
        only_replayed=sorted(replayed.states.keys() - live.keys()),
    )


def model_change(
    state: AccountState, live: Health, live_seq: int, model: HealthModel, now: datetime
) -> RiskChange | None:
    """The change that moves an account from its live health to the replayed one.

    Numbered after the live changes (so change ids continue the live sequence); None when the
    band stays the same. Leaves `state` ready to continue live from there.
    """
    state.seq = live_seq
    if live.band == state.band:
        return None
    state.seq += 1
    health = last_health(state, model)
    state.published_score, state.published_at = state.score, state.evaluated_at
    state.published_parts = {p.name: p.score for p in health.parts if p.score is not None}
    label = "unknown" if state.score is None else f"{state.band} ({state.score:.0f})"
    reasons = [
        Reason(code="model.changed", message=f"Health model {model.version} rates it {label}.")
    ]
    reasons += [
        Reason(code=s.code, message=sentence(s.message))
        for p in health.parts
        for s in p.worst_first()
        if s.score < 100
    ][:3]
    return RiskChange(
        change_id=change_id(state.account_id, state.seq),
        account_id=state.account_id,
        seq=state.seq,
        occurred_at=now,
        emitted_at=now,
        model_version=model.version,
        previous=live,
        current=Health(score=state.score, band=state.band),
        delta=None
        if state.score is None or live.score is None
        else round(state.score - live.score, 2),
        trend_7d=None,
        components=components_of(health),
        reasons=reasons,
        trigger_event_ids=[],
        segment=state.traits.get("segment"),
        csm_owner=state.traits.get("csm_owner"),
    )
