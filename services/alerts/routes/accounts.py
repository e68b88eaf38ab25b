"""An account's health: the latest, and its history of changes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from schemas import HealthSnapshot
from services.alerts.deps import DbSession
from services.alerts.reasons import current_reasons
from services.alerts.store.health import health_history
from services.alerts.tables import AccountHealthRow
from services.web.auth import AlertsReader

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


class AccountHealth(HealthSnapshot):
    """The latest health of an account, with why it is where it is now."""

    reasons: list[str] = Field(
        description="Why the account is in its band now, most important first, in a CSM's words: "
        "the latest change's reasons (less those that only say something improved while the "
        "account is at risk), then weak parts of the score and quiet sources."
    )


@router.get(
    "/{account_id}/health",
    summary="The latest health of an account",
    responses={404: {"description": "No health known for this account yet"}},
)
def account_health(account_id: str, session: DbSession, _key: AlertsReader) -> AccountHealth:
    row = session.get(AccountHealthRow, account_id)
    if row is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no health known for account {account_id!r}"
        )
    latest = health_history(session, account_id, 1)
    reasons = current_reasons(row.snapshot, latest[0].payload if latest else None)
    return AccountHealth.model_validate(row.snapshot | {"reasons": reasons})


class HealthPoint(BaseModel):
    """One change of an account's health: when, from what to what, and why."""

    change_id: str
    seq: int = Field(description="The order the scorer made its changes in (the history's order).")
    occurred_at: datetime = Field(
        description="Event time of the cause. A late event can give a later change an earlier "
        "time than the one before it, so this need not fall as seq does."
    )
    emitted_at: datetime = Field(description="When the scorer made the change.")
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
    """Newest first by sequence (the order the changes were made, each with its event time and
    the time it was made); empty while the account has had no change."""
    return [
        HealthPoint.model_validate(row.payload)
        for row in health_history(session, account_id, limit, before_seq)
    ]
