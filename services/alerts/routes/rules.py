"""/v1/routes: who hears of which alerts. Routes from the routes file are shown but read-only."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any

from fastapi import Body, HTTPException, Response, status
from sqlalchemy import select

from services.alerts.deps import DbSession
from services.alerts.routing import RouteSpec
from services.alerts.store.alerts import utcnow
from services.alerts.store.routes import store_route
from services.alerts.tables import RouteRow
from services.web.auth import AlertsReader, AlertsWriter
from services.web.http import json_router

router = json_router("/v1/routes", "routes")
FILE_PREFIX = "file_"
EXAMPLES: dict[str, Any] = {
    "enterprise to Slack": {
        "value": {
            "name": "Enterprise accounts at risk to #cs-enterprise",
            "position": 10,
            "match": {"segments": ["enterprise"], "severities": ["critical"]},
            "channels": [
                {"type": "slack", "url": "https://hooks.slack.com/services/T000/B000/XXXX"},
                {"type": "csm_owner"},
            ],
        }
    },
    "billing risks by email": {
        "value": {
            "name": "Payment problems to finance",
            "match": {"reason_codes": ["billing.payment_failed", "billing.dispute_opened"]},
            "channels": [{"type": "email", "to": ["finance@example.com"]}],
        }
    },
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such route"},
    409: {"description": "The route comes from the routes file; change it there"},
}


class RouteOut(RouteSpec):
    """A route, and where it is managed."""

    id: str
    from_file: bool
    created_at: datetime
    updated_at: datetime | None


def _out(row: RouteRow) -> RouteOut:
    spec = RouteSpec.model_validate(row, from_attributes=True)
    return RouteOut(
        **spec.model_dump(), id=row.id, from_file=row.id.startswith(FILE_PREFIX),
        created_at=row.created_at, updated_at=row.updated_at,
    )  # fmt: skip


def _editable(session: DbSession, route_id: str) -> RouteRow:
    row = session.get(RouteRow, route_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no route {route_id!r}")
    if row.id.startswith(FILE_PREFIX):
        raise HTTPException(status.HTTP_409_CONFLICT, "this route comes from the routes file")
    return row


@router.get("", summary="List routes in the order they apply")
def list_routes(session: DbSession, _key: AlertsReader) -> list[RouteOut]:
    rows = session.scalars(select(RouteRow).order_by(RouteRow.position, RouteRow.id))
    return [_out(row) for row in rows]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Add a route")
def create_route(
    body: Annotated[RouteSpec, Body(openapi_examples=EXAMPLES)],
    session: DbSession,
    _key: AlertsWriter,
) -> RouteOut:
    row = RouteRow(id="route_" + secrets.token_hex(8), created_at=utcnow())
    store_route(row, body)
    session.add(row)
    session.flush()
    return _out(row)


@router.get("/{route_id}", summary="A route", responses=RESPONSES)
def get_route(route_id: str, session: DbSession, _key: AlertsReader) -> RouteOut:
    row = session.get(RouteRow, route_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no route {route_id!r}")
    return _out(row)


@router.put("/{route_id}", summary="Replace a route", responses=RESPONSES)
def replace_route(
    route_id: str,
    body: Annotated[RouteSpec, Body(openapi_examples=EXAMPLES)],
    session: DbSession,
    _key: AlertsWriter,
) -> RouteOut:
    row = _editable(session, route_id)
    store_route(row, body)
    row.updated_at = utcnow()
    session.flush()
    return _out(row)


@router.delete(
    "/{route_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a route",
    responses=RESPONSES,
)  # fmt: skip
def delete_route(route_id: str, session: DbSession, _key: AlertsWriter) -> Response:
    session.delete(_editable(session, route_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
