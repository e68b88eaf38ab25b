"""Alerts: list what was raised."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from schemas.health import Band
from services.alerts.deps import DbSession
from services.alerts.store import alert_view, list_alerts
from services.auth import AlertsReader

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])


class AlertOut(BaseModel):
    """An alert and the risk change that raised it."""

    id: str
    account_id: str
    status: str
    severity: str
    band: Band
    score: float | None
    title: str
    segment: str | None
    csm_owner: str | None
    created_at: datetime
    change: dict[str, Any]


@router.get("", summary="List alerts, newest first")
def get_alerts(
    session: DbSession,
    _key: AlertsReader,
    account_id: str | None = None,
    band: Band | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertOut]:
    return [
        AlertOut(**alert_view(a, change))
        for a, change in list_alerts(session, account_id, band, limit)
    ]
