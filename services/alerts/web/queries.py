"""What the workspace pages read: accounts ranked by risk, one account's story, the alerts
inbox and the deliveries. Plain SQLAlchemy on the alerts tables; no writes."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select, union
from sqlalchemy.orm import Session

from services.alerts import tables
from services.alerts.reasons import current_reasons
from services.alerts.tables import AccountHealthRow, AlertRow, HealthChangeRow, urgency
from services.alerts.web.tables import AccountListRow, AlertAssigneeRow

PAGE_SIZE = 25
SEARCH_CAP = 1000
"""A search lists at most this many matches (the count says 1,000+ past it)."""
AnySelect = Select[*tuple[Any, ...]]
Q = TypeVar("Q", bound=AnySelect)
SPARK_DAYS = 30
CHART_DAYS = 90
ACTIVE = ("open", "acknowledged", "snoozed")
RISK = {"red": 0, "yellow": 1, "green": 2, "unknown": 3}


@dataclass(frozen=True)
class AccountFilter:
    """Which accounts (or alerts) to show; None or False matches anything."""

    band: str | None = None
    segment: str | None = None
    owner: str | None = None
    stale: bool = False
    open_alert: bool = False
    search: str | None = None
    status: str | None = None
    """Alerts only: open, acknowledged, snoozed, resolved, or `active` (any but resolved)."""


@dataclass
class AccountLine:
    """One account of the list."""

    account_id: str
    name: str | None
    segment: str | None
    owner: str | None
    band: str
    score: float | None
    stale: list[str]
    snapshot: dict[str, Any]
    spark: list[tuple[datetime, float]] = field(default_factory=list)
    spark_points: str = ""
    band_since: datetime | None = None
    top_reason: str | None = None
    alert: AlertRow | None = None


@dataclass
class Page:
    """A page of a list and where it sits in the whole."""

    items: list[Any]
    total: int
    page: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        """How many pages the whole list has (at least one)."""
        return max(1, -(-self.total // self.size))


def _accounts_where(query: Q, where: AccountFilter) -> Q:
    if where.band:
        query = query.where(AccountListRow.risk == RISK.get(where.band, 3))
    if where.segment:
        query = query.where(AccountListRow.segment == where.segment)
    if where.owner:
        query = query.where(AccountListRow.csm_owner == where.owner)
    if where.stale:
        query = query.where(AccountListRow.stale)
    if where.open_alert:
        active = select(AlertRow.account_id).where(AlertRow.status.in_(ACTIVE))
        query = query.where(AccountListRow.account_id.in_(active))
    if where.search:
        text = where.search.strip().lower()
        query = query.where(AccountListRow.search.contains(text, autoescape=True))
    return query


def list_accounts(
    session: Session, where: AccountFilter, page: int, now: datetime, size: int = PAGE_SIZE
) -> Page:
    """Accounts matching `where`, most at risk first (worst band, then lowest score), one page
    of them with their sparklines, since when they are in their band, top reason and alert."""
    order = (AccountListRow.risk, AccountListRow.score, AccountListRow.account_id)
    if where.search:
        # a search reads every name once: take up to SEARCH_CAP matches in order in one scan
        # instead of counting and then paging (two scans)
        found = list(
            session.scalars(
                _accounts_where(select(AccountListRow.account_id), where)
                .order_by(*order)
                .limit(SEARCH_CAP + 1)
            )
        )
        total = len(found)
        page = max(1, min(page, max(1, -(-min(total, SEARCH_CAP) // size))))
        wanted = found[(page - 1) * size : page * size]
        query = select(AccountListRow).where(AccountListRow.account_id.in_(wanted)).order_by(*order)
    else:
        count = _accounts_where(select(func.count()).select_from(AccountListRow), where)
        total = session.scalar(count) or 0
        page = max(1, min(page, max(1, -(-total // size))))
        query = (
            _accounts_where(select(AccountListRow), where)
            .order_by(*order)
            .offset((page - 1) * size)
            .limit(size)
        )
    lines = [
        AccountLine(
            account_id=row.account_id, name=row.name, segment=row.segment, owner=row.csm_owner,
            band=row.band, score=row.score, stale=[], snapshot={},
        )
        for row in session.scalars(query)
    ]  # fmt: skip
    _enrich(session, lines, now)
    return Page(lines, total, page, size)


def _enrich(session: Session, lines: list[AccountLine], now: datetime) -> None:
    """Add sparklines, band entry times, top reasons and active alerts to a page of accounts."""
    ids = [line.account_id for line in lines]
    if not ids:
        return
    by_id = {line.account_id: line for line in lines}
    snapshots = select(AccountHealthRow.account_id, AccountHealthRow.snapshot).where(
        AccountHealthRow.account_id.in_(ids)
    )
    for account_id, snapshot in session.execute(snapshots).tuples():
        by_id[account_id].snapshot = snapshot
        by_id[account_id].stale = list(snapshot.get("stale") or [])
    points = session.execute(
        select(
            HealthChangeRow.account_id, HealthChangeRow.occurred_at, HealthChangeRow.current_score
        )
        .where(HealthChangeRow.account_id.in_(ids))
        .where(HealthChangeRow.occurred_at >= now - timedelta(days=SPARK_DAYS))
        .order_by(HealthChangeRow.account_id, HealthChangeRow.seq)
    )  # fmt: skip
    for account_id, at, score in points:
        if score is not None:
            by_id[account_id].spark.append((at, score))
    # the latest change into a band is the last made (greatest seq): a late event can give it
    # an earlier event time than a change into another band made before it
    latest_entry = (
        select(HealthChangeRow.account_id, func.max(HealthChangeRow.seq).label("seq"))
        .where(HealthChangeRow.account_id.in_(ids))
        .where(HealthChangeRow.previous_band != HealthChangeRow.current_band)
        .group_by(HealthChangeRow.account_id)
        .subquery()
    )
    entered = session.execute(
        select(HealthChangeRow.account_id, HealthChangeRow.occurred_at).join(
            latest_entry,
            (HealthChangeRow.account_id == latest_entry.c.account_id)
            & (HealthChangeRow.seq == latest_entry.c.seq),
        )
    )
    for account_id, at in entered:
        by_id[account_id].band_since = at
    latest = session.execute(
        select(HealthChangeRow.account_id, HealthChangeRow.payload)
        .join(AccountHealthRow, AccountHealthRow.account_id == HealthChangeRow.account_id)
        .where(HealthChangeRow.account_id.in_(ids))
        .where(HealthChangeRow.seq == AccountHealthRow.last_change_seq)
    )
    changes = {account_id: payload for account_id, payload in latest.tuples()}
    for account_id, line in by_id.items():
        reasons = current_reasons(line.snapshot, changes.get(account_id))
        line.top_reason = reasons[0] if reasons else None
    alerts = session.scalars(
        select(AlertRow)
        .where(AlertRow.account_id.in_(ids), AlertRow.status.in_(ACTIVE))
        .order_by(AlertRow.created_at)
    )
    for alert in alerts:
        by_id[alert.account_id].alert = alert


def segments_and_owners(session: Session) -> tuple[list[str], list[str]]:
    """The segments and CSM owners known, for the filters' choices."""
    segments = session.scalars(
        select(AccountListRow.segment).where(AccountListRow.segment.is_not(None)).distinct()
    )
    owners = session.scalars(
        select(AccountListRow.csm_owner).where(AccountListRow.csm_owner.is_not(None)).distinct()
    )
    return sorted(s for s in segments if s), sorted(o for o in owners if o)


class Choices:
    """The filters' segments and owners, read again at most every `ttl_s` seconds (two
    scans of the account list: tens of milliseconds at 100,000 accounts)."""

    def __init__(self, ttl_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s, self.clock = ttl_s, clock
        self._lock = threading.Lock()
        self._value: tuple[list[str], list[str]] | None = None
        self._read_at = 0.0

    def get(self, session: Session) -> tuple[list[str], list[str]]:
        """The cached choices, or fresh ones when they are older than the TTL."""
        with self._lock:
            if self._value is not None and self.clock() - self._read_at < self.ttl_s:
                return self._value
        value = segments_and_owners(session)
        with self._lock:
            self._value, self._read_at = value, self.clock()
        return value


@dataclass
class AccountStory:
    """Everything the account page shows."""

    account_id: str
    health: AccountHealthRow | None
    traits: AccountListRow | None
    changes: list[dict[str, Any]]
    """The risk changes of the chart's window, in sequence order (payloads)."""
    alerts: list[tuple[AlertRow, list[tables.AlertEventRow], str | None]]
    """The account's alerts, newest first, with their timelines and assignees."""


def account_story(session: Session, account_id: str, now: datetime) -> AccountStory | None:
    """The account's health, traits, 90 days of changes and its alerts; None if unknown."""
    health = session.get(AccountHealthRow, account_id)
    traits = session.get(AccountListRow, account_id)
    if health is None and traits is None:
        return None
    changes = list(
        session.scalars(
            select(HealthChangeRow.payload)
            .where(HealthChangeRow.account_id == account_id)
            .where(HealthChangeRow.occurred_at >= now - timedelta(days=CHART_DAYS))
            .order_by(HealthChangeRow.seq)
        )
    )
    alerts = list(
        session.scalars(
            select(AlertRow)
            .where(AlertRow.account_id == account_id)
            .order_by(AlertRow.created_at.desc())
            .limit(20)
        )
    )
    return AccountStory(account_id, health, traits, changes, _with_timelines(session, alerts))


def _with_timelines(
    session: Session, alerts: list[AlertRow]
) -> list[tuple[AlertRow, list[tables.AlertEventRow], str | None]]:
    ids = [a.id for a in alerts]
    events: dict[str, list[tables.AlertEventRow]] = defaultdict(list)
    for event in session.scalars(
        select(tables.AlertEventRow)
        .where(tables.AlertEventRow.alert_id.in_(ids))
        .order_by(tables.AlertEventRow.id)
    ):
        events[event.alert_id].append(event)
    assignees = _assignees(session, ids)
    return [(a, events[a.id], assignees.get(a.id)) for a in alerts]


def _assignees(session: Session, alert_ids: list[str]) -> dict[str, str]:
    rows = session.execute(
        select(AlertAssigneeRow.alert_id, AlertAssigneeRow.assignee).where(
            AlertAssigneeRow.alert_id.in_(alert_ids)
        )
    )
    return {alert_id: assignee for alert_id, assignee in rows.tuples()}


INBOX_ORDER = (AlertRow.urgency.desc(), AlertRow.updated_at.desc(), AlertRow.id.desc())
"""Open first, then acknowledged, snoozed, resolved; critical before warning; the latest activity
first: the index `ix_alerts_inbox` read backwards."""


@dataclass
class InboxLine:
    """One alert of the inbox."""

    alert: AlertRow
    name: str | None
    assignee: str | None
    reason: str | None


def _inbox_where(where: AccountFilter, named: list[str]) -> list[ColumnElement[bool]]:
    """The conditions of the inbox's filters; `named` are the accounts the search found."""
    conditions: list[ColumnElement[bool]] = []
    if where.status == "active":
        conditions.append(AlertRow.urgency >= urgency("snoozed", "warning"))
    elif where.status:
        least = urgency(where.status, "warning")
        conditions.append(AlertRow.urgency.between(least, least + 1))
    if where.band:
        conditions.append(AlertRow.band == where.band)
    if where.segment:
        conditions.append(AlertRow.segment == where.segment)
    if where.owner:
        owned = select(AlertRow.id).where(AlertRow.csm_owner == where.owner)
        assigned = select(AlertAssigneeRow.alert_id).where(AlertAssigneeRow.assignee == where.owner)
        conditions.append(AlertRow.id.in_(union(owned, assigned)))
    if where.stale:
        stale = select(AccountListRow.account_id).where(AccountListRow.stale)
        conditions.append(AlertRow.account_id.in_(stale))
    if where.search:
        conditions.append(AlertRow.account_id.in_(named))
    return conditions


def inbox(session: Session, where: AccountFilter, page: int, size: int = PAGE_SIZE) -> Page:
    """Alerts matching `where`: open first, then acknowledged, snoozed, resolved; critical
    before warning; the latest activity first.

    The page's ids are read first, in index order with nothing but the index's columns (a deep
    page skips index entries, not rows), then only those alerts are loaded."""
    named: list[str] = []
    if where.search:  # the accounts are found once in the narrow list, as the accounts page does
        search = AccountFilter(search=where.search)
        found = _accounts_where(select(AccountListRow.account_id), search).limit(SEARCH_CAP)
        named = list(session.scalars(found))
    conditions = _inbox_where(where, named)
    total = session.scalar(select(func.count()).select_from(AlertRow).where(*conditions)) or 0
    page = max(1, min(page, max(1, -(-total // size))))
    ids = list(
        session.scalars(
            select(AlertRow.id)
            .where(*conditions)
            .order_by(*INBOX_ORDER)
            .offset((page - 1) * size)
            .limit(size)
        )
    )
    rows = session.execute(
        select(AlertRow, AccountListRow.name)
        .outerjoin(AccountListRow, AccountListRow.account_id == AlertRow.account_id)
        .where(AlertRow.id.in_(ids))
        .order_by(*INBOX_ORDER)
    ).tuples()
    return Page(_inbox_lines(session, list(rows)), total, page, size)


def inbox_line(session: Session, alert_id: str) -> InboxLine | None:
    """One alert as the inbox shows it."""
    query = (
        select(AlertRow, AccountListRow.name)
        .outerjoin(AccountListRow, AccountListRow.account_id == AlertRow.account_id)
        .where(AlertRow.id == alert_id)
    )
    lines = _inbox_lines(session, list(session.execute(query).tuples()))
    return lines[0] if lines else None


def _inbox_lines(session: Session, found: list[tuple[AlertRow, str | None]]) -> list[InboxLine]:
    assignees = _assignees(session, [a.id for a, _ in found])
    wanted = [a.latest_change_id or a.change_id for a, _ in found]
    query = select(HealthChangeRow.change_id, HealthChangeRow.payload).where(
        HealthChangeRow.change_id.in_(wanted)
    )
    changes = {change_id: payload for change_id, payload in session.execute(query).tuples()}
    lines = []
    for alert, name in found:
        reasons = (changes.get(alert.latest_change_id or alert.change_id) or {}).get("reasons")
        reason = reasons[0]["message"] if reasons else None
        lines.append(InboxLine(alert, name, assignees.get(alert.id), reason))
    return lines


def alerts_since(session: Session, since: datetime) -> int:
    """How many alerts were raised or changed after `since` (the inbox's live check)."""
    query = select(func.count()).where(AlertRow.updated_at > since)
    return session.scalar(query) or 0


@dataclass
class Deliveries:
    """What the deliveries page shows."""

    endpoints: list[tables.WebhookEndpointRow]
    routes: list[tables.RouteRow]
    attempts: list[tuple[tables.DeliveryAttemptRow, tables.DeliveryRow]]
    failed: list[tables.DeliveryRow]
    failed_total: int
    pending: int


def deliveries(session: Session, limit: int = 50) -> Deliveries:
    """Endpoints, routes, the latest attempts and the deliveries that gave up."""
    endpoints = list(
        session.scalars(
            select(tables.WebhookEndpointRow).order_by(tables.WebhookEndpointRow.created_at)
        )
    )
    routes = list(
        session.scalars(
            select(tables.RouteRow).order_by(tables.RouteRow.position, tables.RouteRow.name)
        )
    )
    attempts = session.execute(
        select(tables.DeliveryAttemptRow, tables.DeliveryRow)
        .join(tables.DeliveryRow, tables.DeliveryRow.id == tables.DeliveryAttemptRow.delivery_id)
        .order_by(tables.DeliveryAttemptRow.at.desc(), tables.DeliveryAttemptRow.id.desc())
        .limit(limit)
    ).tuples()
    gave_up = tables.DeliveryRow.status == "gave_up"
    failed = session.scalars(
        select(tables.DeliveryRow)
        .where(gave_up)
        .order_by(tables.DeliveryRow.created_at.desc())
        .limit(10)
    )
    failed_total = session.scalar(select(func.count()).where(gave_up)) or 0
    pending = session.scalar(
        select(func.count()).where(tables.DeliveryRow.status == "pending")
    ) or 0  # fmt: skip
    return Deliveries(endpoints, routes, list(attempts), list(failed), failed_total, pending)
