"""Routes as stored: kept in step with the routes file, read for routing."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.alerts.routing import RouteSpec
from services.alerts.tables import RouteRow


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
