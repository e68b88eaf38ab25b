"""POST /v1/events and /v1/events/batch."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Body, HTTPException, status
from pydantic import BaseModel, Field, ValidationError

from schemas.codec import dumps
from schemas.errors import FieldError, field_errors
from schemas.events import EVENT_IN_ADAPTER, AnyEventIn, EventIn, completed_data
from services.ingest.deps import EventLimits, Sink, Topics
from services.ingest.limits import TOO_LARGE, Limits
from services.ingest.metrics import count_event
from services.ingest.producer import ProduceError, Record
from services.kafka.topics import TopicNames
from services.web.auth import ApiKey, forbidden
from services.web.http import json_router

router = json_router("/v1/events", "events")
MAX_BATCH = 1000
SOURCE = "api"


class Accepted(BaseModel):
    """An event that is on Kafka."""

    status: Literal["accepted"] = "accepted"
    event_id: str


class ItemResult(BaseModel):
    """The outcome of one event of a batch: accepted (on Kafka) or rejected (not written, with
    the errors; `not_written` when Kafka refused it, so sending it again may succeed)."""

    index: int
    status: Literal["accepted", "rejected"]
    event_id: str | None = None
    errors: list[FieldError] | None = None


class BatchIn(BaseModel):
    """Up to 1000 events; each is validated on its own (see POST /v1/events for the schema)."""

    events: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


class BatchOut(BaseModel):
    """A result per event, in order; the accepted ones are on Kafka, the rejected ones are not."""

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


def refusal(event: EventIn, record: Record, limits: Limits, now: datetime) -> FieldError | None:
    """Why a valid event is still refused: its time is out of range or its record too large."""
    if event.occurred_at is not None and (
        error := limits.time_error(event.occurred_at, now, ["occurred_at"])
    ):
        return error
    return limits.size_error(record)


def refused(error: FieldError) -> HTTPException:
    """The answer to a single event refused for `error`: 413 when too large, else 422."""
    if error.type == TOO_LARGE:
        return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"event {error.msg}")
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [error.model_dump()])


def unwritten(exc: ProduceError) -> HTTPException:
    """The answer when Kafka did not take records: 413 if it found them too large, else 503."""
    if exc.too_large:
        return HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"Kafka refused the record as too large: {exc}"
        )
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE, str(exc), headers={"Retry-After": "1"}
    )


async def produce(sink: Sink, records: list[Record]) -> None:
    """Send records, answering 503 (413 for records Kafka finds too large) if Kafka does not
    take them."""
    try:
        await sink.send_all(records)
    except ProduceError as exc:
        raise unwritten(exc) from exc


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
    limits: EventLimits,
    caller: ApiKey,
) -> Accepted:
    if not caller.allows(scope := f"events:{event.kind}"):
        count_event(SOURCE, event.kind, "forbidden")
        raise forbidden(scope)
    now = datetime.now(UTC)
    event_id, record = to_record(event, topics, now)
    if error := refusal(event, record, limits, now):
        count_event(SOURCE, event.kind, "too_large" if error.type == TOO_LARGE else "invalid")
        raise refused(error)
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
    limits: EventLimits,
    caller: ApiKey,
) -> BatchOut:
    """Each event stands alone: the valid ones are written even when others are not, and the
    result of each says which. Should Kafka refuse only some records, those are reported
    `rejected` (`not_written`) and the rest stay accepted; should it refuse all, the answer is
    503 (413 when it found them too large) and nothing was written."""
    now = datetime.now(UTC)
    results: list[ItemResult] = []
    records: list[Record] = []
    kinds: list[str] = []
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
        if error := refusal(event, record, limits, now):
            results.append(ItemResult(index=index, status="rejected", errors=[error]))
            count_event(SOURCE, event.kind, TOO_LARGE if error.type == TOO_LARGE else "invalid")
            continue
        records.append(record)
        kinds.append(event.kind)
        results.append(ItemResult(index=index, status="accepted", event_id=event_id))
    if records:
        await produce_each(sink, records, kinds, results)
    accepted = [r for r in results if r.status == "accepted"]
    return BatchOut(accepted=len(accepted), rejected=len(results) - len(accepted), results=results)


async def produce_each(
    sink: Sink, records: list[Record], kinds: list[str], results: list[ItemResult]
) -> None:
    """Send the accepted events' records; those Kafka refuses become rejected results."""
    failed: frozenset[int] = frozenset()
    try:
        await sink.send_all(records)
    except ProduceError as exc:
        if exc.failed is None or len(exc.failed) == len(records):
            raise unwritten(exc) from exc
        failed = exc.failed
        reason = TOO_LARGE if exc.too_large else "not_written"
        accepted_at = [r.index for r in results if r.status == "accepted"]
        for n in failed:
            index = accepted_at[n]
            error = FieldError(loc=[], msg=f"not written, send it again: {exc}", type="not_written")
            results[index] = ItemResult(index=index, status="rejected", errors=[error])
            count_event(SOURCE, kinds[n], reason)
    written = Counter(kind for n, kind in enumerate(kinds) if n not in failed)
    for kind, count in written.items():
        count_event(SOURCE, kind, count=count)
