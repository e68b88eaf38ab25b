"""An account's health: the latest, and its history of changes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from schemas import HealthSnapshot
from services.alerts.deps import DbSession
from services.alerts.store.health import health_history
from services.alerts.tables import AccountHealthRow
from services.web.auth import AlertsReader

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


@router.get(
    "/{account_id}/health",
    summary="The latest health of an account",
    responses={404: {"description": "No health known for this account yet"}},
)
def account_health(account_id: str, session: DbSession, _key: AlertsReader) -> HealthSnapshot:
    row = session.get(AccountHealthRow, account_id)
    if row is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no health known for account {account_id!r}"
        )
    return HealthSnapshot.model_validate(row.snapshot)


class HealthPoint(BaseModel):
    """One change of an account's health: when, from what to what, and why."""

    change_id: str
    seq: int
    occurred_at: datetime
    previous: dict[str, Any]
    current: dict[str, Any]
    reasons: list[dict[str, Any]]
    components: list[dict[str, Any]]
    model_version: str


@router.get("/{account_id}/health/history", summary="An account's timeline of health changes")
def account_history(
    account_id: str,
    session: DbSession,
    _key: AlertsReader,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_seq: Annotated[
        int | None,
        Query(ge=1, le=2**31 - 1, description="Page on: the smallest seq of the previous page."),
    ] = None,
) -> list[HealthPoint]:
    """Newest first; empty while the account has had no change."""
    return [
        HealthPoint.model_validate(row.payload)
        for row in health_history(session, account_id, limit, before_seq)
    ]
