"""The accounts list and the account page (with its live check)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.alerts.reasons import current_reasons
from services.alerts.store.alerts import utcnow
from services.alerts.tables import AccountHealthRow
from services.alerts.web.access import SignedIn
from services.alerts.web.charts import ChangePoint, score_chart, sparkline
from services.alerts.web.filters import filter_of, page_number, query_without
from services.alerts.web.queries import (
    AccountStory,
    account_story,
    list_accounts,
)
from services.alerts.web.render import page
from services.alerts.web.words import parse_time, score_text
from services.scorer.model import HealthModel

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/accounts", status_code=303)


@router.get("/accounts")
def accounts(request: Request, person: SignedIn) -> HTMLResponse:
    where = filter_of(request, person)
    now = utcnow()
    with request.app.state.sessions() as session:
        found = list_accounts(session, where, page_number(request), now)
        segments, owners = request.app.state.choices.get(session)
    for line in found.items:
        line.spark_points = sparkline(line.spark, now, line.score)
    return page(
        request, "accounts.html.j2", person, found=found, where=where, segments=segments,
        owners=owners, now=now, base_query=query_without(request, "page"),
        owner_value=request.query_params.get("owner", ""),
    )  # fmt: skip


def _change_label(change: dict[str, Any]) -> str:
    before, after = change["previous"], change["current"]
    reasons = change.get("reasons") or []
    why = reasons[0]["message"] if reasons else ""
    at = datetime.fromisoformat(change["occurred_at"]).strftime("%-d %b %H:%M")
    return (
        f"{at}: {score_text(before.get('score'))} → {score_text(after.get('score'))} "
        f"({after.get('band')}). {why}"
    )


def story_context(story: AccountStory, model: HealthModel, now: datetime) -> dict[str, Any]:
    """What the account template needs, computed from the story."""
    snapshot: dict[str, Any] = story.health.snapshot if story.health else {}
    traits = story.traits
    segment = (traits.segment if traits else None) or snapshot.get("segment")
    stage = traits.lifecycle_stage if traits else None
    bands = model.spec_for(segment, stage).bands
    points = [
        ChangePoint(
            datetime.fromisoformat(c["occurred_at"]), c["current"].get("score"),
            c["current"].get("band"), _change_label(c),
        )
        for c in story.changes
    ]  # fmt: skip
    current = story.health.score if story.health else None
    latest = story.changes[-1] if story.changes else None
    return {
        "story": story,
        "snapshot": snapshot,
        "segment": segment,
        "owner": (traits.csm_owner if traits else None) or snapshot.get("csm_owner"),
        "chart": score_chart(points, now, current, bands.green, bands.yellow),
        "bands": bands,
        "reasons": current_reasons(snapshot, latest),
        "changes": list(reversed(story.changes)),
        "change_times": {c["change_id"]: parse_time(c["occurred_at"]) for c in story.changes},
        "version": _version(story),
    }


def _version(story: AccountStory) -> str:
    return version_of(story.health)


def version_of(health: AccountHealthRow | None) -> str:
    """What changes whenever the account's health does: the page's live check compares it."""
    return "none" if health is None else f"{health.last_change_seq}-{health.updated_at.timestamp()}"


@router.get("/accounts/{account_id}")
def account(request: Request, account_id: str, person: SignedIn) -> HTMLResponse:
    now = utcnow()
    with request.app.state.sessions() as session:
        story = account_story(session, account_id, now)
    if story is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no account {account_id!r} is known yet")
    context = story_context(story, request.app.state.health_model, now)
    fragment = request.headers.get("HX-Request") == "true"
    template = "account_body.html.j2" if fragment else "account.html.j2"
    return page(request, template, person, now=now, **context)


@router.get("/accounts/{account_id}/live", response_model=None)
def account_live(
    request: Request, account_id: str, person: SignedIn, version: str = ""
) -> Response:
    """204 while the account is as the page shows it (`version`); else the page's new body."""
    now = utcnow()
    with request.app.state.sessions() as session:
        if version_of(session.get(AccountHealthRow, account_id)) == version:
            return Response(status_code=204)
        story = account_story(session, account_id, now)
    if story is None:
        return Response(status_code=204)
    context = story_context(story, request.app.state.health_model, now)
    return page(request, "account_body.html.j2", person, now=now, **context)
