"""Reading and writing alerts, changes, endpoints, deliveries and account health."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from schemas import HealthSnapshot, RiskChange
from schemas.alerts import Alert, AlertEventType, AlertMessage
from schemas.codec import encode
from services.alerts.lifecycle import (
    NOTIFY,
    Decision,
    Episode,
    Policy,
    Status,
    critical_codes,
    decide,
    rank,
    severity_of,
)
from services.alerts.routing import Destination, RouteSpec, destinations, next_digest_at
from services.alerts.signing import new_secret
from services.alerts.tables import (
    AccountHealthRow,
    AlertEventRow,
    AlertRow,
    DeliveryAttemptRow,
    DeliveryRow,
    HealthChangeRow,
    RouteRow,
    SnoozeRow,
    WebhookEndpointRow,
)

if TYPE_CHECKING:
    from services.alerts.secret_box import SecretBox

EVENT_TYPES: tuple[str, ...] = tuple(NOTIFY.values())


@dataclass(frozen=True)
class Delivering:
    """How notifications enter the outbox."""

    first_delay_s: float = 0.0
    """Wait before the first attempt (the first entry of the retry schedule)."""
    email: bool = True
    """Whether email goes out (an SMTP server is configured)."""
    digest_hour_utc: int = 8
    """When daily digests are sent."""


SEVERITY_RANK = {"warning": 0, "critical": 1}


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def alert_title(change: RiskChange) -> str:
    """A one-line summary of the alert."""
    score = "no score" if change.current.score is None else f"{change.current.score:.0f}"
    return f"{change.account_id} is {change.current.band} ({score}): {change.reasons[0].message}"


def alert_view(alert: AlertRow, change: dict[str, Any]) -> Alert:
    """The alert as the API, the channels and webhooks show it, with its latest change."""
    return Alert.model_validate(
        {
            "id": alert.id,
            "account_id": alert.account_id,
            "status": alert.status,
            "severity": alert.severity,
            "band": alert.band,
            "score": alert.score,
            "title": alert.title,
            "segment": alert.segment,
            "csm_owner": alert.csm_owner,
            "created_at": alert.created_at,
            "updated_at": alert.updated_at,
            "acknowledged_at": alert.acknowledged_at,
            "acknowledged_by": alert.acknowledged_by,
            "snoozed_until": alert.snoozed_until,
            "resolved_at": alert.resolved_at,
            "resolution": alert.resolution,
            "change": RiskChange.model_validate(change),
        }
    )


def latest_alert(session: Session, account_id: str) -> AlertRow | None:
    """The account's most recent alert (its current or last risk episode)."""
    query = (
        select(AlertRow)
        .where(AlertRow.account_id == account_id)
        .order_by(AlertRow.created_at.desc(), AlertRow.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def episode_of(alert: AlertRow) -> Episode:
    """What the lifecycle decision needs of an alert."""
    status: Status = alert.status  # type: ignore[assignment]
    return Episode(status, alert.worst_rank, frozenset(alert.critical_seen), alert.resolved_at)


def _event(session: Session, alert: AlertRow, kind: str, now: datetime, **fields: Any) -> None:
    session.add(AlertEventRow(alert_id=alert.id, kind=kind, at=now, **fields))


def _take(alert: AlertRow, change: RiskChange, now: datetime, worse: bool) -> None:
    """Fold a change into its episode's alert."""
    alert.latest_change_id = change.change_id
    alert.band, alert.score, alert.updated_at = change.current.band, change.current.score, now
    alert.segment, alert.csm_owner = change.segment, change.csm_owner
    alert.worst_rank = min(alert.worst_rank, rank(change.current.band))
    alert.critical_seen = sorted(set(alert.critical_seen) | critical_codes(change))
    if worse:
        severity = severity_of(change) or alert.severity
        if SEVERITY_RANK[severity] > SEVERITY_RANK[alert.severity]:
            alert.severity = severity
        alert.title = alert_title(change)


def _end_snooze(session: Session, alert: AlertRow, now: datetime, reason: str) -> None:
    open_snooze = session.scalar(
        select(SnoozeRow).where(SnoozeRow.alert_id == alert.id, SnoozeRow.ended_at.is_(None))
    )
    if open_snooze is not None:
        open_snooze.ended_at, open_snooze.end_reason = now, reason
    alert.snoozed_until = None


def record_change(
    session: Session,
    change: RiskChange,
    now: datetime,
    policy: Policy = Policy(),
    delivering: Delivering = Delivering(),
) -> tuple[AlertRow, Decision] | None:
    """Store a change once and apply it to the account's alert; None when it was already
    stored or concerns no alert. Notifications go to the outbox in the same transaction."""
    if session.get(HealthChangeRow, change.change_id) is not None:
        return None
    payload = change.model_dump(mode="json")
    session.add(
        HealthChangeRow(
            change_id=change.change_id,
            account_id=change.account_id,
            seq=change.seq,
            occurred_at=change.occurred_at,
            emitted_at=change.emitted_at,
            previous_band=change.previous.band,
            current_band=change.current.band,
            current_score=change.current.score,
            payload=payload,
        )
    )
    session.flush()
    latest = latest_alert(session, change.account_id)
    decision = decide(None if latest is None else episode_of(latest), change, now, policy)
    if decision.action == "none":
        return None
    if decision.action == "open" or latest is None:
        alert = AlertRow(
            id=_id("alert"),
            change_id=change.change_id,
            account_id=change.account_id,
            severity=severity_of(change) or "warning",
            status="open",
            worst_rank=rank(change.current.band),
            critical_seen=[],
            title=alert_title(change),
            created_at=now,
        )
        session.add(alert)
        _take(alert, change, now, worse=False)
    else:
        alert = latest
        if decision.action == "resolve":
            alert.status, alert.resolved_at, alert.resolution = "resolved", now, "recovered"
            _end_snooze(session, alert, now, "recovered")
            alert.latest_change_id, alert.band = change.change_id, change.current.band
            alert.score, alert.updated_at = change.current.score, now
        else:
            _take(alert, change, now, worse=decision.notify)
            if decision.action == "reopen" or (decision.notify and alert.status != "open"):
                if alert.status == "snoozed":
                    _end_snooze(session, alert, now, "worse")
                alert.status, alert.resolved_at, alert.resolution = "open", None, None
    session.flush()
    _event(session, alert, decision.action, now, change_id=change.change_id)
    if decision.event_type is not None:
        enqueue(session, alert, decision.event_type, payload, now, delivering)
    return alert, decision


def sync_file_routes(session: Session, routes: list[RouteSpec], now: datetime) -> None:
    """Make the routes that came from the routes file exactly `routes` (ids `file_<hash>` of
    their names)."""
    wanted = {"file_" + hashlib.sha256(r.name.encode()).hexdigest()[:16]: r for r in routes}
    existing = session.scalars(select(RouteRow).where(RouteRow.id.startswith("file_"))).all()
    for row in existing:
        if row.id not in wanted:
            session.delete(row)
    for route_id, spec in wanted.items():
        row = session.get(RouteRow, route_id) or RouteRow(id=route_id, created_at=now)
        store_route(row, spec)
        row.updated_at = now
        session.add(row)


def store_route(row: RouteRow, spec: RouteSpec) -> None:
    """Write a route's fields onto its row."""
    data = spec.model_dump(mode="json")
    row.name, row.position, row.enabled = data["name"], data["position"], data["enabled"]
    row.match, row.channels = data["match"], data["channels"]


def routes_of(session: Session) -> list[RouteSpec]:
    """The enabled routes, in order."""
    rows = session.scalars(select(RouteRow).where(RouteRow.enabled).order_by(RouteRow.position))
    return [RouteSpec.model_validate(row, from_attributes=True) for row in rows]


def enqueue(
    session: Session,
    alert: AlertRow,
    event_type: AlertEventType,
    change: dict[str, Any],
    now: datetime,
    delivering: Delivering = Delivering(),
) -> int:
    """Write a notification of `alert` to the outbox: once for every webhook endpoint that
    subscribes to `event_type` and every destination a route gives (email ones only when an
    SMTP server is configured; digest ones wait for the next digest time)."""
    view = alert_view(alert, change)
    body = encode(AlertMessage(type=event_type, timestamp=now, data=view))
    endpoints = {
        e.id: e
        for e in session.scalars(select(WebhookEndpointRow).where(WebhookEndpointRow.enabled))
    }
    wanted = [
        Destination("webhook", e.id) for e in endpoints.values() if event_type in e.event_types
    ]
    for destination in destinations(routes_of(session), view, event_type):
        if destination.channel == "webhook" and destination.target not in endpoints:
            continue  # a route naming a disabled or deleted endpoint
        if destination.channel in ("email", "digest") and not delivering.email:
            continue
        if destination not in wanted:
            wanted.append(destination)
    for destination in wanted:
        webhook = destination.channel == "webhook"
        due = now + timedelta(seconds=delivering.first_delay_s)
        if destination.channel == "digest":
            due = next_digest_at(now, delivering.digest_hour_utc)
        session.add(
            DeliveryRow(
                id=_id("msg"),
                alert_id=alert.id,
                channel=destination.channel,
                endpoint_id=destination.target if webhook else None,
                target=None if webhook else destination.target,
                event_type=event_type,
                body=body,
                next_attempt_at=due,
                created_at=now,
            )
        )
    return len(wanted)


def change_of(session: Session, alert: AlertRow) -> dict[str, Any]:
    """The payload of the alert's latest change."""
    row = session.get(HealthChangeRow, alert.latest_change_id or alert.change_id)
    return {} if row is None else row.payload


class AlertStateError(ValueError):
    """The alert cannot make that move (e.g. acknowledging a resolved alert)."""


def acknowledge(session: Session, alert: AlertRow, actor: str, now: datetime) -> None:
    """Someone is on it: the alert stays quiet until it gets worse."""
    if alert.status == "resolved":
        raise AlertStateError("a resolved alert cannot be acknowledged")
    if alert.status == "snoozed":
        _end_snooze(session, alert, now, "acknowledged")
    alert.status, alert.acknowledged_at, alert.acknowledged_by = "acknowledged", now, actor
    alert.updated_at = now
    _event(session, alert, "acknowledged", now, actor=actor)


def snooze(
    session: Session, alert: AlertRow, until: datetime, actor: str, note: str | None, now: datetime
) -> None:
    """Silence the alert until `until`; it reopens then if still at risk, or at once if worse."""
    if alert.status == "resolved":
        raise AlertStateError("a resolved alert cannot be snoozed")
    if until <= now:
        raise AlertStateError("snooze until a time in the future")
    if alert.status == "snoozed":
        _end_snooze(session, alert, now, "replaced")
    session.add(SnoozeRow(alert_id=alert.id, until=until, actor=actor, note=note, created_at=now))
    alert.status, alert.snoozed_until, alert.updated_at = "snoozed", until, now
    _event(session, alert, "snoozed", now, actor=actor, note=note)


def resolve(session: Session, alert: AlertRow, actor: str, note: str | None, now: datetime) -> None:
    """Close the episode by hand; a new one starts only if the account gets worse."""
    if alert.status == "resolved":
        raise AlertStateError("the alert is already resolved")
    if alert.status == "snoozed":
        _end_snooze(session, alert, now, "resolved")
    alert.status, alert.resolved_at, alert.resolution = "resolved", now, "manual"
    alert.updated_at = now
    _event(session, alert, "resolved", now, actor=actor, note=note)


def wake_snoozed(
    session: Session, now: datetime, delivering: Delivering = Delivering()
) -> list[AlertRow]:
    """Reopen alerts whose snooze ended (they are still at risk: recovery resolves them) and
    notify."""
    due = session.scalars(
        select(AlertRow).where(AlertRow.status == "snoozed", AlertRow.snoozed_until <= now)
    ).all()
    for alert in due:
        _end_snooze(session, alert, now, "expired")
        alert.status, alert.updated_at = "open", now
        _event(session, alert, "snooze_ended", now)
        enqueue(session, alert, NOTIFY["reopen"], change_of(session, alert), now, delivering)
    return list(due)


def record_snapshot(session: Session, snap: HealthSnapshot) -> None:
    """Keep the newest snapshot of the account."""
    row = session.get(AccountHealthRow, snap.account_id)
    if row is not None and row.updated_at > snap.updated_at:
        return
    values = {
        "band": snap.band,
        "score": snap.score,
        "last_change_seq": snap.last_change_seq,
        "snapshot": snap.model_dump(mode="json"),
        "updated_at": snap.updated_at,
    }
    if row is None:
        session.add(AccountHealthRow(account_id=snap.account_id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


def create_endpoint(
    session: Session,
    url: str,
    description: str | None,
    event_types: list[str],
    now: datetime,
    box: SecretBox,
) -> WebhookEndpointRow:
    """Register an endpoint with a fresh secret, stored sealed (`box.open` reads it)."""
    row = WebhookEndpointRow(
        id=_id("ep"),
        url=url,
        secret=box.seal(new_secret()),
        description=description,
        event_types=event_types,
        enabled=True,
        created_at=now,
    )
    session.add(row)
    return row


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts to list; None matches anything."""

    account_id: str | None = None
    band: str | None = None
    status: str | None = None
    owner: str | None = None
    segment: str | None = None


def update_endpoint(row: WebhookEndpointRow, changes: dict[str, Any], now: datetime) -> None:
    """Apply changed fields; enabling clears why it was disabled."""
    for name, value in changes.items():
        setattr(row, name, value)
    if changes.get("enabled"):
        row.disabled_at = row.disabled_reason = row.failing_since = None
    elif changes.get("enabled") is False and row.disabled_at is None:
        row.disabled_at, row.disabled_reason = now, "disabled by hand"
    row.updated_at = now


def rotate_secret(
    row: WebhookEndpointRow, now: datetime, overlap: timedelta, box: SecretBox
) -> None:
    """A new secret (sealed); the old one keeps signing too until the overlap ends."""
    row.previous_secret, row.previous_secret_until = row.secret, now + overlap
    row.secret, row.updated_at = box.seal(new_secret()), now


def replay_to(
    session: Session,
    endpoint: WebhookEndpointRow,
    alert_id: str | None,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
) -> int:
    """Queue again for `endpoint` every notification (of its event types) of one alert or of
    the alerts raised in [since, until); return how many."""
    query = select(DeliveryRow).join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
    if alert_id is not None:
        query = query.where(DeliveryRow.alert_id == alert_id)
    if since is not None:
        query = query.where(AlertRow.created_at >= since)
    if until is not None:
        query = query.where(AlertRow.created_at < until)
    seen: set[tuple[str, str, datetime]] = set()
    for past in session.scalars(query.order_by(DeliveryRow.created_at)):
        notification = (past.alert_id, past.event_type, past.created_at)
        if notification in seen or past.event_type not in endpoint.event_types:
            continue
        seen.add(notification)
        session.add(
            DeliveryRow(
                id=_id("msg"), alert_id=past.alert_id, channel="webhook", endpoint_id=endpoint.id,
                event_type=past.event_type, body=past.body, next_attempt_at=now, created_at=now,
            )
        )  # fmt: skip
    return len(seen)


def attempts_of(
    session: Session, endpoint_id: str, limit: int
) -> list[tuple[DeliveryAttemptRow, DeliveryRow]]:
    """The endpoint's delivery attempts, newest first."""
    query = (
        select(DeliveryAttemptRow, DeliveryRow)
        .join(DeliveryRow, DeliveryRow.id == DeliveryAttemptRow.delivery_id)
        .where(DeliveryRow.endpoint_id == endpoint_id)
        .order_by(DeliveryAttemptRow.at.desc(), DeliveryAttemptRow.id.desc())
        .limit(limit)
    )
    return [(a, d) for a, d in session.execute(query).tuples()]


def list_alerts(
    session: Session, where: AlertFilter, limit: int, after: tuple[datetime, str] | None = None
) -> list[tuple[AlertRow, dict[str, Any]]]:
    """Newest alerts first with their latest changes; `after` is the (created_at, id) of the
    last alert of the previous page."""
    query = (
        select(AlertRow, HealthChangeRow.payload)
        .join(
            HealthChangeRow,
            HealthChangeRow.change_id
            == func.coalesce(AlertRow.latest_change_id, AlertRow.change_id),
        )
        .order_by(AlertRow.created_at.desc(), AlertRow.id.desc())
        .limit(limit)
    )
    for column, value in (
        (AlertRow.account_id, where.account_id),
        (AlertRow.band, where.band),
        (AlertRow.status, where.status),
        (AlertRow.csm_owner, where.owner),
        (AlertRow.segment, where.segment),
    ):
        if value is not None:
            query = query.where(column == value)
    if after is not None:
        created, alert_id = after
        query = query.where(
            or_(
                AlertRow.created_at < created,
                and_(AlertRow.created_at == created, AlertRow.id < alert_id),
            )
        )
    return [(alert, payload) for alert, payload in session.execute(query).tuples()]


def alert_events(session: Session, alert_id: str) -> list[AlertEventRow]:
    """What happened to an alert, oldest first."""
    query = select(AlertEventRow).where(AlertEventRow.alert_id == alert_id)
    return list(session.scalars(query.order_by(AlertEventRow.id)))


def health_history(
    session: Session, account_id: str, limit: int, before_seq: int | None = None
) -> list[HealthChangeRow]:
    """The account's changes, newest first: its timeline of scores, bands and reasons."""
    query = select(HealthChangeRow).where(HealthChangeRow.account_id == account_id)
    if before_seq is not None:
        query = query.where(HealthChangeRow.seq < before_seq)
    return list(session.scalars(query.order_by(HealthChangeRow.seq.desc()).limit(limit)))


def destination_of(row: DeliveryRow) -> str:
    """Whom a delivery goes to: its endpoint, Slack webhook or mailbox (the unit of
    per-destination concurrency)."""
    return row.endpoint_id or f"{row.channel}:{row.target}"


def claim_due(
    session: Session,
    now: datetime,
    lease: timedelta,
    limit: int,
    room: Callable[[str], int] | None = None,
) -> list[DeliveryRow]:
    """Lease due deliveries so that no other worker takes them until the lease ends; with
    `room`, at most `room(destination)` of each destination (see `destination_of`)."""
    query = (
        select(DeliveryRow)
        .where(DeliveryRow.status == "pending", DeliveryRow.next_attempt_at <= now)
        .where(or_(DeliveryRow.locked_until.is_(None), DeliveryRow.locked_until < now))
        .order_by(DeliveryRow.next_attempt_at)
        .limit(limit if room is None else limit * 4)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed: list[DeliveryRow] = []
    taking: dict[str, int] = {}
    for row in session.scalars(query).all():
        if len(claimed) >= limit:
            break
        if room is not None:
            destination = destination_of(row)
            if taking.get(destination, 0) >= room(destination):
                continue  # that destination is busy: leave the row for later
            taking[destination] = taking.get(destination, 0) + 1
        # Take a row only if no other worker leased it since we read it (where rows are not
        # locked on read, e.g. SQLite): the lease is the claim.
        taken = session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == row.id, DeliveryRow.status == "pending")
            .where(or_(DeliveryRow.locked_until.is_(None), DeliveryRow.locked_until < now))
            .values(locked_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(row)
    return claimed


def next_due(session: Session, now: datetime) -> datetime | None:
    """When the outbox next has work no send in flight will announce: the earliest delivery
    due and not leased, a lease running out (its worker may have died), or a snooze ending."""
    pending = DeliveryRow.status == "pending"
    free = or_(DeliveryRow.locked_until.is_(None), DeliveryRow.locked_until <= now)
    leased = DeliveryRow.locked_until > now
    snoozed = AlertRow.status == "snoozed"
    times = [
        session.scalar(select(func.min(DeliveryRow.next_attempt_at)).where(pending, free)),
        session.scalar(select(func.min(DeliveryRow.locked_until)).where(pending, leased)),
        session.scalar(select(func.min(AlertRow.snoozed_until)).where(snoozed)),
    ]
    return min((t for t in times if t is not None), default=None)


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)
