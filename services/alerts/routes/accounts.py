"""An account's latest health."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from schemas import HealthSnapshot
from services.alerts.deps import DbSession
from services.alerts.tables import AccountHealthRow
from services.auth import AlertsReader

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
