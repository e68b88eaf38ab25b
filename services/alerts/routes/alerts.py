"""Alerts: list with filters and pages, get one with its timeline, acknowledge, snooze, resolve."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, NamedTuple

from fastapi import Body, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.alerts import Alert, AlertStatus
from schemas.health import Band
from schemas.values import UtcDatetime
from services.alerts.deps import DbSession
from services.alerts.store.alerts import (
    AlertFilter,
    alert_events,
    alert_view,
    change_of,
    list_alerts,
    utcnow,
)
from services.alerts.store.episodes import AlertStateError, acknowledge, resolve, snooze
from services.alerts.tables import AlertRow
from services.web.auth import AlertsReader, AlertsWriter
from services.web.http import json_router

router = json_router("/v1/alerts", "alerts")
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such alert"}}


class AlertOut(Alert):
    """An alert (one risk episode of an account) and its latest risk change (schemas.alerts)."""


class AlertPage(BaseModel):
    """A page of alerts, newest first; pass `next_cursor` as `cursor` for the next one."""

    items: list[AlertOut]
    next_cursor: str | None


class AlertEvent(BaseModel):
    """One step of an alert's life."""

    kind: str = Field(description="open, update, worsen, reopen, resolve, acknowledged, ...")
    change_id: str | None
    actor: str | None
    note: str | None
    at: datetime


class AlertDetail(AlertOut):
    """An alert with its timeline."""

    events: list[AlertEvent]


class Actor(BaseModel):
    """Who acts, and why."""

    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(None, max_length=200, description="Default: the API key's id.")
    note: str | None = Field(None, max_length=2000)


class SnoozeIn(Actor):
    """Until when: a time, or a number of minutes from now."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["until"], "properties": {"until": {"type": "string"}}},
                {"required": ["minutes"], "properties": {"minutes": {"type": "integer"}}},
            ]
        },
    )

    until: UtcDatetime | None = None
    minutes: int | None = Field(None, ge=1, le=60 * 24 * 90)

    @model_validator(mode="after")
    def _one_of(self) -> SnoozeIn:
        if (self.until is None) == (self.minutes is None):
            raise ValueError("give either until or minutes")
        return self

    def end(self, now: datetime) -> datetime:
        """When the snooze ends."""
        return self.until or now + timedelta(minutes=self.minutes or 0)


@router.get("", summary="List alerts, newest first", responses=NOT_FOUND)
def get_alerts(
    session: DbSession,
    _key: AlertsReader,
    account_id: str | None = None,
    band: Band | None = None,
    status_: Annotated[AlertStatus | None, Query(alias="status")] = None,
    owner: Annotated[str | None, Query(description="The CSM owner's email.")] = None,
    segment: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[
        str | None, Query(description="next_cursor of the previous page (404 if unknown).")
    ] = None,
) -> AlertPage:
    where = AlertFilter(account_id, band, status_, owner, segment)
    after = None
    if cursor is not None:
        last = _alert(session, cursor)
        after = (last.created_at, last.id)
    rows = list_alerts(session, where, limit + 1, after)
    page = rows[:limit]
    more = len(rows) > limit
    return AlertPage(
        items=[AlertOut(**alert_view(a, change).model_dump()) for a, change in page],
        next_cursor=page[-1][0].id if more and page else None,
    )


def _alert(session: DbSession, alert_id: str) -> AlertRow:
    alert = session.get(AlertRow, alert_id)
    if alert is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id!r}")
    return alert


def _detail(session: DbSession, alert: AlertRow) -> AlertDetail:
    events = [
        AlertEvent.model_validate(e, from_attributes=True) for e in alert_events(session, alert.id)
    ]
    view = alert_view(alert, change_of(session, alert))
    return AlertDetail(**view.model_dump(), events=events)


@router.get("/{alert_id}", summary="An alert and its timeline", responses=NOT_FOUND)
def get_alert(alert_id: str, session: DbSession, _key: AlertsReader) -> AlertDetail:
    return _detail(session, _alert(session, alert_id))


def _act(session: DbSession, alert_id: str, action: Any) -> AlertDetail:
    alert = _alert(session, alert_id)
    try:
        action(alert, utcnow())
    except AlertStateError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    session.flush()
    return _detail(session, alert)


ACT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"description": "The alert's status does not allow it (e.g. already resolved)"},
}
ACTOR_EXAMPLE = {"kim": {"value": {"by": "kim@example.com", "note": "Calling them today."}}}


class Acting(NamedTuple):
    """Who acts on an alert (the body's `by`, else the API key's id) and why."""

    by: str
    note: str | None


def acting(
    caller: AlertsWriter,
    body: Annotated[Actor, Body(openapi_examples=ACTOR_EXAMPLE)] = Actor(),
) -> Acting:
    """The body of an acknowledge or resolve, `by` defaulting to the caller."""
    return Acting(body.by or caller.key_id, body.note)


@router.post("/{alert_id}/acknowledge", summary="Someone is on it", responses=ACT_RESPONSES)
def post_acknowledge(
    alert_id: str, session: DbSession, actor: Annotated[Acting, Depends(acting)]
) -> AlertDetail:
    """Quiet until it gets worse."""
    return _act(session, alert_id, lambda alert, now: acknowledge(session, alert, actor.by, now))


@router.post("/{alert_id}/snooze", summary="Silence until a time", responses=ACT_RESPONSES)
def post_snooze(
    alert_id: str,
    body: Annotated[
        SnoozeIn, Body(openapi_examples={"a day": {"value": {"minutes": 1440, "note": "QBR"}}})
    ],
    session: DbSession,
    caller: AlertsWriter,
) -> AlertDetail:
    """Reopens when the snooze ends if the account is still at risk, or at once if it gets
    worse."""
    actor = body.by or caller.key_id

    def act(alert: AlertRow, now: datetime) -> None:
        snooze(session, alert, body.end(now), actor, body.note, now)

    return _act(session, alert_id, act)


@router.post("/{alert_id}/resolve", summary="Close the episode", responses=ACT_RESPONSES)
def post_resolve(
    alert_id: str, session: DbSession, actor: Annotated[Acting, Depends(acting)]
) -> AlertDetail:
    """A new alert is raised only if the account gets worse than now."""
    return _act(
        session, alert_id, lambda alert, now: resolve(session, alert, actor.by, actor.note, now)
    )
