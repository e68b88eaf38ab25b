"""POST /v1/accounts: upsert an account's traits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Body, status
from pydantic import BaseModel

from schemas import AccountTraits, AccountUpdate
from schemas.codec import encode
from services.ingest.deps import EventLimits, Sink, Topics
from services.ingest.limits import TOO_LARGE
from services.ingest.metrics import count_event
from services.ingest.producer import Record
from services.ingest.routes.events import SOURCE, produce, refused
from services.web.auth import scoped
from services.web.http import json_router

router = json_router("/v1/accounts", "accounts")


class AccountAccepted(BaseModel):
    """The update is on the account-updates topic."""

    status: Literal["accepted"] = "accepted"
    account_id: str


TRAITS_EXAMPLES: dict[str, Any] = {
    "enterprise account": {"value": {
        "account_id": "acme", "name": "Acme Corp", "segment": "enterprise",
        "csm_owner": "dana@example.com", "seats": 40, "mrr": 4900, "lifecycle_stage": "active"}},
    "new trial": {"value": {"account_id": "initech", "lifecycle_stage": "trial"}},
}  # fmt: skip


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Create or update an account's traits",
    responses={401: {}, 403: {}, 413: {}, 422: {}, 503: {}},
    dependencies=[scoped("accounts:write")],
)
async def upsert_account(
    traits: Annotated[AccountTraits, Body(openapi_examples=TRAITS_EXAMPLES)],
    sink: Sink,
    topics: Topics,
    limits: EventLimits,
) -> AccountAccepted:
    update = AccountUpdate(**traits.model_dump(), updated_at=datetime.now(UTC), source="api")
    record = Record(topics.account_updates, update.account_id.encode(), encode(update))
    if error := limits.size_error(record):
        count_event(SOURCE, "account", TOO_LARGE)
        raise refused(error)
    await produce(sink, [record])
    count_event(SOURCE, "account")
    return AccountAccepted(account_id=update.account_id)
