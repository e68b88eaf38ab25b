"""/v1/account-mappings: which account a Stripe customer, Zendesk organization or Segment user
belongs to."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import (
    Body,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    status,
)
from pydantic import AfterValidator, BaseModel, ConfigDict

from schemas.values import NO_CONTROL_PATTERN, Id, no_control
from services.db.sql import Database
from services.ingest.account_mappings import (
    AccountMappingRow,
    MappingSource,
    delete_mapping,
    list_mappings,
    set_mapping,
)
from services.web.api_keys import Caller
from services.web.auth import scoped
from services.web.http import json_router

router = json_router("/v1/account-mappings", "accounts")
AccountsWriter = Annotated[Caller, scoped("accounts:write")]
ExternalId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        description="The source's id: a Stripe customer (cus_...), charge or payment intent, a "
        "Zendesk organization id, a Segment userId.",
        json_schema_extra={"pattern": NO_CONTROL_PATTERN},
    ),
    AfterValidator(no_control),
]


class MappingIn(BaseModel):
    """The account the outside id belongs to."""

    model_config = ConfigDict(extra="forbid")

    account_id: Id


class Mapping(BaseModel):
    """An outside id and its account; `learned` when the source itself said so."""

    source: MappingSource
    external_id: str
    account_id: str
    learned: bool
    updated_at: datetime

    @classmethod
    def of(cls, row: AccountMappingRow) -> Mapping:
        return cls.model_validate(row, from_attributes=True)


def database(request: Request) -> Database:
    found: Database = request.app.state.database
    return found


@router.put("/{source}/{external_id}", summary="Map an outside id to an account")
def put_mapping(
    source: MappingSource,
    external_id: ExternalId,
    body: Annotated[
        MappingIn, Body(openapi_examples={"a Stripe customer": {"value": {"account_id": "acme"}}})
    ],
    request: Request,
    _key: AccountsWriter,
) -> Mapping:
    with database(request).sessions().begin() as session:
        row = set_mapping(session, source, external_id, body.account_id, datetime.now(UTC))
    request.app.state.mappings.forget(source, external_id)
    return Mapping.of(row)


@router.get("", summary="List mappings")
def get_mappings(
    request: Request,
    _key: AccountsWriter,
    source: Annotated[MappingSource | None, Query(description="Only this source's.")] = None,
) -> list[Mapping]:
    with database(request).sessions()() as session:
        return [Mapping.of(row) for row in list_mappings(session, source)]


@router.delete(
    "/{source}/{external_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a mapping",
    responses={404: {"description": "No such mapping"}},
)
def remove_mapping(
    source: MappingSource, external_id: ExternalId, request: Request, _key: AccountsWriter
) -> Response:
    with database(request).sessions().begin() as session:
        found = delete_mapping(session, source, external_id)
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no mapping of {source} {external_id}")
    request.app.state.mappings.forget(source, external_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
