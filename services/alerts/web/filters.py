"""Reading the list pages' filters from the query string (bad values get a 422 naming them)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import HTTPException, Request, status

from services.alerts.web.queries import AccountFilter
from services.alerts.web.session import Person

BANDS = ("red", "yellow", "green", "unknown")
STATUSES = ("active", "open", "acknowledged", "snoozed", "resolved", "all")


def _one_of(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in allowed:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"{name}: {value!r} is not one of {', '.join(allowed)}",
        )
    return value


def filter_of(request: Request, person: Person, default_status: str | None = None) -> AccountFilter:
    """The filter the query string asks for; `owner=mine` is the signed-in person."""
    query = request.query_params
    owner = (query.get("owner") or "").strip() or None
    status_ = _one_of(request, "status", STATUSES) or default_status
    return AccountFilter(
        band=_one_of(request, "band", BANDS),
        segment=(query.get("segment") or "").strip() or None,
        owner=person.who if owner == "mine" else owner,
        stale=query.get("stale") == "1",
        open_alert=query.get("open") == "1",
        search=(query.get("q") or "").strip()[:200] or None,
        status=None if status_ == "all" else status_,
    )


def page_number(request: Request) -> int:
    """The page asked for (1 when absent); 422 when not a positive number."""
    value = request.query_params.get("page") or "1"
    if not value.isdigit() or int(value) < 1 or int(value) > 1_000_000:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"page: {value!r} is not a page number"
        )
    return int(value)


def query_without(request: Request, *names: str) -> str:
    """The query string less `names` (to build page and filter links)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in names and v]
    return urlencode(kept)
