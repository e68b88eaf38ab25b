"""POST /v1/events and /v1/events/batch."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, status
from pydantic import BaseModel, Field, ValidationError

from schemas.errors import FieldError, field_errors
from schemas.events import EVENT_IN_ADAPTER, AnyEventIn, EventIn, completed_data
from services.auth import ApiKey, forbidden
from services.codec import dumps
from services.http import require_json
from services.ingest.deps import Sink, Topics
from services.ingest.metrics import count_event
from services.ingest.producer import ProduceError, Record
from services.topics import TopicNames

router = APIRouter(prefix="/v1/events", tags=["events"], dependencies=[Depends(require_json)])
MAX_BATCH = 1000
SOURCE = "api"


class Accepted(BaseModel):
    """An event that is on Kafka."""

    status: Literal["accepted"] = "accepted"
    event_id: str


class ItemResult(BaseModel):
    """The outcome of one event of a batch."""

    index: int
    status: Literal["accepted", "rejected"]
    event_id: str | None = None
    errors: list[FieldError] | None = None


class BatchIn(BaseModel):
    """Up to 1000 events; each is validated on its own (see POST /v1/events for the schema)."""

    events: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


class BatchOut(BaseModel):
    """A result per event, in order; the accepted ones are on Kafka."""

    accepted: int
    rejected: int
    results: list[ItemResult]


USAGE_EXAMPLE = {
    "account_id": "acme", "kind": "usage", "type": "feature_used",
    "occurred_at": "2026-11-02T10:00:00Z", "properties": {"user_id": "ann", "feature": "reports"},
}  # fmt: skip
EVENT_EXAMPLES: dict[str, Any] = {
    "usage": {"summary": "A user used a feature", "value": USAGE_EXAMPLE},
    "ticket": {"summary": "An urgent ticket", "value": {
        "event_id": "zd-5158-created", "account_id": "acme", "kind": "ticket",
        "type": "ticket_opened", "occurred_at": "2026-11-02T10:05:00Z",
        "properties": {"ticket_id": "5158", "priority": "urgent"}}},
    "payment": {"summary": "A failed payment", "value": {
        "account_id": "acme", "kind": "payment", "type": "payment_failed",
        "properties": {"invoice_id": "in_1", "amount": 147.0, "currency": "usd"}}},
}  # fmt: skip
BATCH_EXAMPLES: dict[str, Any] = {
    "two events": {"value": {"events": [USAGE_EXAMPLE, EVENT_EXAMPLES["payment"]["value"]]}}
}


def kind_label(kind: object) -> str:
    """A metrics label for a possibly invalid kind, from a fixed set."""
    return kind if kind in ("usage", "ticket", "payment") else "invalid"


def to_record(event: EventIn, topics: TopicNames, now: datetime) -> tuple[str, Record]:
    """The complete event's id and its record, keyed by account_id."""
    full = completed_data(event, event_id=uuid.uuid4().hex, received_at=now, source=SOURCE)
    record = Record(topics.for_kind(event.kind), event.account_id.encode(), dumps(full))
    return full["event_id"], record


async def produce(sink: Sink, records: list[Record]) -> None:
    """Send records, answering 503 if Kafka does not take them."""
    try:
        await sink.send_all(records)
    except ProduceError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, str(exc), headers={"Retry-After": "1"}
        ) from exc


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send one event",
    responses={401: {}, 403: {}, 413: {}, 422: {}, 503: {}},
)
async def post_event(
    event: Annotated[AnyEventIn, Body(openapi_examples=EVENT_EXAMPLES)],
    sink: Sink,
    topics: Topics,
    caller: ApiKey,
) -> Accepted:
    if not caller.allows(scope := f"events:{event.kind}"):
        count_event(SOURCE, event.kind, "forbidden")
        raise forbidden(scope)
    event_id, record = to_record(event, topics, datetime.now(UTC))
    await produce(sink, [record])
    count_event(SOURCE, event.kind)
    return Accepted(event_id=event_id)


@router.post(
    "/batch",
    summary="Send up to 1000 events",
    response_model_exclude_none=True,
    responses={401: {}, 413: {}, 422: {}, 503: {}},
)
async def post_batch(
    body: Annotated[BatchIn, Body(openapi_examples=BATCH_EXAMPLES)],
    sink: Sink,
    topics: Topics,
    caller: ApiKey,
) -> BatchOut:
    now = datetime.now(UTC)
    results: list[ItemResult] = []
    records: list[Record] = []
    accepted: Counter[str] = Counter()
    for index, item in enumerate(body.events):
        try:
            event = EVENT_IN_ADAPTER.validate_python(item)
        except ValidationError as exc:
            errors = field_errors(exc.errors(), item)
            results.append(ItemResult(index=index, status="rejected", errors=errors))
            count_event(SOURCE, kind_label(item.get("kind")), "invalid")
            continue
        if not caller.allows(scope := f"events:{event.kind}"):
            denied = FieldError(
                loc=["kind"], msg=f"this API key lacks the scope {scope!r}", type="forbidden"
            )
            results.append(ItemResult(index=index, status="rejected", errors=[denied]))
            count_event(SOURCE, event.kind, "forbidden")
            continue
        event_id, record = to_record(event, topics, now)
        records.append(record)
        accepted[event.kind] += 1
        results.append(ItemResult(index=index, status="accepted", event_id=event_id))
    if records:
        await produce(sink, records)
    for kind, count in accepted.items():
        count_event(SOURCE, kind, count=count)
    return BatchOut(accepted=len(records), rejected=len(results) - len(records), results=results)
