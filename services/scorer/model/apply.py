"""`apply(state, event)` and `evaluate(state, now)`: fold events in, decide and explain changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas import AccountUpdate, Component, Event, Reason, RiskChange, change_id
from schemas.health import BAND_RANK
from services.scorer.model.config import HealthModel, Spec
from services.scorer.model.evaluate import FED_BY, Evaluation, evaluate_health
from services.scorer.model.fold import Critical, fold
from services.scorer.model.sketch import id_hash
from services.scorer.model.state import COMPONENTS, DAY, AccountState

TRAIT_FIELDS = ("name", "segment", "csm_owner", "seats", "mrr", "lifecycle_stage")
Reference = tuple[float, dict[str, float]]  # a score a drop is measured from, with its components
COVERED = {"billing.cancellation_scheduled": "billing.cancellation"}
"""Critical signals that already say what a held band's signal would."""


class LateEvent(ValueError):
    """The event is older than the lateness bound allows; it goes to dead letters."""


def spec_of(state: AccountState, model: HealthModel) -> Spec:
    """The spec of the account's profile (segment and lifecycle stage)."""
    return model.spec_for(state.traits.get("segment"), state.traits.get("lifecycle_stage"))


def apply(
    state: AccountState,
    event: Event,
    model: HealthModel,
    now: datetime | None = None,
    position: tuple[str, int] | None = None,
) -> tuple[AccountState, RiskChange | None]:
    """Fold `event` into `state` (in place); return the change to publish, if any.

    `position` (topic kind, offset) lets a redelivered message be recognised exactly; repeated
    event ids are recognised within a window of recent ids. Raises LateEvent for events older
    than the lateness bound.
    """
    if state.redelivered(position):
        return state, None
    key = id_hash(event.event_id)
    if state.seen_id(key):
        return state, None
    spec = spec_of(state, model)
    t = int(event.occurred_at.timestamp())
    # Lateness is judged against the newest event of the same kind: the three event topics are
    # read at their own pace, so a ticket may be applied before older usage events of the account.
    newest = state.kind_as_of.get(event.kind[0])
    if newest is not None and t < newest - spec.time.lateness_days * DAY:
        late = (newest - t) / DAY
        raise LateEvent(
            f"event time {event.occurred_at.isoformat()} is {late:.1f} days behind this "
            f"account's latest {event.kind} event; the lateness bound is "
            f"{spec.time.lateness_days:g} days"
        )
    state.kind_as_of[event.kind[0]] = max(newest or t, t)
    state.remember_id(key)
    state.events_seen += 1
    first_at = state.first_at
    critical = fold(state, event, spec, key)
    if state.first_at != first_at:
        state.forget()  # every norm's history starts at first_at
    else:
        state.forget(*FED_BY[event.kind])
    _prune(state, spec)
    at = state.as_of or t
    return state, _decide(state, model, spec, at, frozenset(), event, critical, now)


def evaluate(
    state: AccountState,
    model: HealthModel,
    now: datetime,
    stale: frozenset[str] = frozenset(),
) -> tuple[AccountState, RiskChange | None]:
    """Re-evaluate an account at `now` (silence is not health; stale sources do not count)."""
    if state.as_of is None:
        return state, None
    at = max(state.as_of, int(now.timestamp()))
    return state, _decide(state, model, spec_of(state, model), at, stale, None, None, now)


def last_health(
    state: AccountState, model: HealthModel, stale: frozenset[str] = frozenset()
) -> Evaluation:
    """The health as last evaluated (the components behind `state.score` and `state.band`)."""
    at = state.evaluated_at or state.as_of or 0
    cached = state.cache.get("health")
    if cached is not None and cached[0] == (at, stale):
        return cached[1]  # type: ignore[no-any-return]
    per_source = state.evaluated_at is None or state.evaluated_at == state.as_of
    return evaluate_health(state, spec_of(state, model), at, stale, per_source)


def apply_traits(state: AccountState, update: AccountUpdate) -> AccountState:
    """Merge the traits an account update sets; fields it leaves out keep their value."""
    segment = state.traits.get("segment")
    if state.population is not None and update.segment not in (None, segment):
        state.population.move(state, segment, update.segment)
    for name in TRAIT_FIELDS:
        value = getattr(update, name)
        if value is not None:
            state.traits[name] = value
    state.forget()
    return state


def _prune(state: AccountState, spec: Spec) -> None:
    """Forget what no window of `spec` reaches; near holidays the windows reach back past them."""
    if state.as_of is None or state.cache.get("pruned") == state.as_of // DAY:
        return  # pruned today already (see AccountState.prune)
    holidays = spec.calendar.days
    lateness = int(spec.time.lateness_days) + 1
    if holidays.days:
        today = state.as_of // DAY
        reach = spec.time.baseline_days + lateness + 2 * holidays.longest_run
        lateness += holidays.between(today - reach, today + 1)
    score_days = int(max(spec.time.trend_days, spec.changes.drop_window_days)) + 1
    state.prune(
        spec.time.baseline_days + lateness,
        spec.time.recent_days + lateness,
        score_days,
        spec.time.long_baseline_days,
        holidays.days,
    )


def _drop_reference(state: AccountState, spec: Spec, at: int) -> Reference | None:
    """The score a drop is measured from, with its components: the last published one, or the
    window's best day once that is older."""
    window = spec.changes.drop_window_days * DAY
    if state.published_at is not None and at - state.published_at <= window:
        if state.published_score is None:
            return None
        return state.published_score, state.published_parts
    recent = [(s, d) for d, s in state.daily.items() if d * DAY >= at - window]
    if not recent:
        return None
    score, day = max(recent)
    parts = zip(COMPONENTS, state.daily_parts.get(day, ()), strict=False)
    return score, {name: float(p) for name, p in parts if p is not None}


def _trend(state: AccountState, spec: Spec, at: int, score: float | None) -> float | None:
    days = sorted(d for d in state.daily if d * DAY >= at - spec.time.trend_days * DAY)
    if score is None or not days or days[0] == at // DAY:
        return None
    return round(score - state.daily[days[0]], 2)


def _decide(
    state: AccountState,
    model: HealthModel,
    spec: Spec,
    at: int,
    stale: frozenset[str],
    event: Event | None,
    critical: Critical | None,
    now: datetime | None,
) -> RiskChange | None:
    health = evaluate_health(state, spec, at, stale, per_source=event is not None)
    state.cache["health"] = ((at, stale), health)
    score, band = health.score, health.band
    if event is not None and (critical or score != state.score):
        state.note_trigger(
            event.event_id, event.kind, event.type, int(event.occurred_at.timestamp())
        )
    moved = band != state.band
    drop = None
    if score is not None and not moved:
        reference = _drop_reference(state, spec, at)
        if reference is not None and reference[0] - score >= spec.changes.drop_points:
            drop = reference
    previous_band = state.band
    state.score, state.band, state.evaluated_at = score, band, at
    change = None
    if moved or drop or critical:
        trend = _trend(state, spec, at, score)  # against the days before this score is noted
        change = _change(state, model, at, health, previous_band, trend, event, critical, now, drop)
    if score is not None:
        _note_day(state, at // DAY, score, health)
    return change


def _note_day(state: AccountState, today: int, score: float, health: Evaluation) -> None:
    """Note today's score and its components. Components are kept only for the days a drop can
    still be measured from: past days with no later past day scoring as high."""
    if today not in state.daily_parts:  # a new day: the days before it are final
        best = None
        for day in sorted((d for d in state.daily if d < today), reverse=True):
            if best is not None and state.daily[day] <= best:
                state.daily_parts.pop(day, None)
            best = state.daily[day] if best is None else max(best, state.daily[day])
    state.daily[today] = round(score, 1)
    state.daily_parts[today] = [None if p.score is None else round(p.score) for p in health.parts]


def _change(
    state: AccountState,
    model: HealthModel,
    at: int,
    health: Evaluation,
    previous_band: str,
    trend: float | None,
    event: Event | None,
    critical: Critical | None,
    now: datetime | None,
    drop: Reference | None = None,
) -> RiskChange:
    """The change to publish, explained (validated as a whole, from plain data).

    A drop is shown against the score it was measured from (`drop`); any other change against
    the last published score.
    """
    score, published = health.score, state.published_score
    before = state.published_parts
    if drop is not None:
        published, before = drop
    delta = None if score is None or published is None else round(score - published, 2)
    state.seq += 1
    change = RiskChange.model_validate(
        {
            "change_id": change_id(state.account_id, state.seq),
            "account_id": state.account_id,
            "seq": state.seq,
            "occurred_at": event.occurred_at if event else datetime.fromtimestamp(at, UTC),
            "emitted_at": now or datetime.now(UTC),
            "model_version": model.version,
            "previous": {"score": published, "band": previous_band},
            "current": {"score": score, "band": health.band},
            "delta": delta,
            "trend_7d": trend,
            "components": component_values(health),
            "reasons": _reasons(
                before, health, previous_band, critical, delta is not None and delta < 0
            ),
            "trigger_event_ids": list(state.pending),
            "triggers": state.triggers(),
            "segment": state.traits.get("segment"),
            "csm_owner": state.traits.get("csm_owner"),
        }
    )
    state.published_score, state.published_at = score, at
    state.published_parts = {p.name: p.score for p in health.parts if p.score is not None}
    state.pending, state.pending_events = [], {}
    return change


def component_values(health: Evaluation) -> list[dict[str, Any]]:
    """The public view of each component, as plain data (the fields of `Component`)."""
    return [
        {
            "name": p.name,
            "score": None if p.score is None else round(p.score, 2),
            "weight": round(health.weights[p.name], 4),
            "contribution": health.contribution(p),
            "stale": p.stale,
        }
        for p in health.parts
    ]


def components_of(health: Evaluation) -> list[Component]:
    """The public view of each component (computed here, so built without validation)."""
    return [Component.model_construct(**values) for values in component_values(health)]


def _reasons(
    parts_before: dict[str, float],
    health: Evaluation,
    previous_band: str,
    critical: Critical | None,
    fell: bool = False,
) -> list[Reason]:
    """The critical signal first, then what moved each component since `parts_before`, the
    largest move first; when the score `fell`, only what moved down explains it."""
    reasons = [Reason(code=critical[1], message=critical[2])] if critical else []
    if health.held is not None and not (
        critical and COVERED.get(critical[1]) == health.held[1].code
    ):
        band, signal = health.held
        message = f"{sentence(signal.message)} Health is held at {band} while this lasts."
        reasons.append(Reason(code=signal.code, message=message))
    known = previous_band in BAND_RANK and health.band in BAND_RANK
    if known and BAND_RANK[health.band] > BAND_RANK[previous_band]:
        reasons.append(Reason(code="recovery", message=f"Health recovered to {health.band}."))
    moves = []
    for part in health.parts:
        before = parts_before.get(part.name)
        if part.stale:
            moves.append(
                (
                    100.0,
                    Reason(
                        code=f"{part.name}.stale",
                        message=f"No {part.name} data is arriving from its source; it is left out.",
                    ),
                )
            )
        elif part.score is None:
            continue
        elif before is None or part.score <= before - 1:
            signals = part.worst_first()
            bad = [s for s in signals if s.score < 100] or signals[:1]
            drop = (before if before is not None else 100.0) - part.score
            for signal in bad[:2]:
                moves.append((drop, Reason(code=signal.code, message=sentence(signal.message))))
        elif part.score >= before + 1 and not fell:
            message = f"{part.name.title()} improved from {before:.0f} to {part.score:.0f}."
            moves.append(
                (part.score - before, Reason(code=f"{part.name}.improved", message=message))
            )
    moves.sort(key=lambda move: -move[0])
    given = {r.code for r in reasons}
    given |= {COVERED[code] for code in given if code in COVERED}
    reasons += [reason for _, reason in moves if reason.code not in given]
    if not reasons:
        label = "unknown" if health.score is None else f"{health.band} ({health.score:.0f})"
        reasons.append(Reason(code=f"band.{health.band}", message=f"Health is {label}."))
    return reasons


def sentence(text: str) -> str:
    """`text` as a sentence: capitalised, ending in a full stop."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
