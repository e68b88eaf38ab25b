"""The alerts inbox: open alerts first, the actions on them, and its live refresh."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from services.alerts.store.alerts import utcnow
from services.alerts.store.episodes import AlertStateError, acknowledge, resolve, snooze
from services.alerts.tables import AlertRow
from services.alerts.web.access import Form, SignedIn, require_scope
from services.alerts.web.actions import assign
from services.alerts.web.filters import filter_of, page_number, query_without
from services.alerts.web.queries import alerts_since, inbox, inbox_line
from services.alerts.web.render import page
from services.alerts.web.session import Person

router = APIRouter(include_in_schema=False)
LIVE_EVERY_S = 5
"""How often an open inbox asks whether alerts changed (one indexed count: bench/workspace.py)."""


def _inbox(request: Request, person: Person, template: str) -> HTMLResponse:
    where = filter_of(request, person, default_status="active")
    now = utcnow()
    with request.app.state.sessions() as session:
        found = inbox(session, where, page_number(request))
        segments, owners = request.app.state.choices.get(session)
    return page(
        request, template, person, found=found, where=where, segments=segments, owners=owners,
        now=now, base_query=query_without(request, "page"), live_every=LIVE_EVERY_S,
        owner_value=request.query_params.get("owner", ""),
        status_value=request.query_params.get("status", "active"),
        since=now.isoformat(), back="/alerts?" + query_without(request, "page", "since"),
    )  # fmt: skip


@router.get("/alerts")
def alerts_page(request: Request, person: SignedIn) -> HTMLResponse:
    return _inbox(request, person, "alerts.html.j2")


@router.get("/alerts/live", response_model=None)
def alerts_live(request: Request, person: SignedIn, since: str = "") -> Response:
    """204 when no alert was raised or changed since `since`; else the inbox's new list."""
    after = _time(since, "since", "an ISO 8601 time")
    with request.app.state.sessions() as session:
        changed = alerts_since(session, after if after.tzinfo else after.replace(tzinfo=UTC))
    if not changed:
        return Response(status_code=204)
    return _inbox(request, person, "alerts_list.html.j2")


def _time(value: str, field: str, what: str) -> datetime:
    """`value` read as an ISO 8601 date or time; 422 naming `field` otherwise."""
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field}: {value!r} is not {what}"
        ) from exc


def _snooze_until(value: str, now: datetime) -> datetime:
    day = _time(value, "until", "a date")
    if len(value) <= 10:  # a date alone: the start of that working day, 09:00 UTC
        day = datetime.combine(day.date(), time(9))
    until = day if day.tzinfo else day.replace(tzinfo=UTC)
    if until <= now:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "until: pick a future date")
    return until


def _action(
    form: dict[str, str], person: Person, action: str
) -> Callable[[Session, AlertRow, datetime], None]:
    note = form.get("note", "").strip()[:2000] or None
    if action == "acknowledge":
        return lambda s, a, now: acknowledge(s, a, person.who, now)
    if action == "resolve":
        return lambda s, a, now: resolve(s, a, person.who, note, now)
    if action == "snooze":
        until = form.get("until", "")
        return lambda s, a, now: snooze(s, a, _snooze_until(until, now), person.who, note, now)
    if action == "assign":
        to = form.get("assignee", "").strip()
        if "@" not in to or len(to) > 254:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "assignee: give the CSM's email address"
            )
        return lambda s, a, now: assign(s, a, to, person.who, now)
    raise HTTPException(status.HTTP_404_NOT_FOUND, f"no action {action!r}")


@router.post("/alerts/{alert_id}/{action}", response_model=None)
def act(request: Request, alert_id: str, action: str, person: SignedIn, form: Form) -> Response:
    """Acknowledge, snooze, resolve or assign; htmx gets the alert's new card, a plain form a
    redirect back."""
    require_scope(person, "alerts:write")
    do = _action(form, person, action)
    with request.app.state.sessions.begin() as session:
        alert = session.get(AlertRow, alert_id)
        if alert is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id!r}")
        try:
            do(session, alert, utcnow())
        except AlertStateError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    back = form.get("back", "")
    if request.headers.get("HX-Request") != "true":
        return RedirectResponse(
            back if back.startswith("/") and not back.startswith("//") else "/alerts", 303
        )
    with request.app.state.sessions() as session:
        line = inbox_line(session, alert_id)
    return page(request, "alert_card.html.j2", person, line=line, now=utcnow(), back=back)
