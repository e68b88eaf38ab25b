"""The Segment-compatible tracking API: POST /v1/batch, /v1/track, /v1/page, /v1/screen,
/v1/identify, /v1/group, /v1/alias, so a backend using Segment's libraries only changes its host.

The write key is an API key, sent as the Basic-auth user name (as Segment's libraries do), as a
Bearer token, or as `writeKey` in the body. Bodies may be gzipped.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections import Counter
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from fastapi import HTTPException, Request, status
from pydantic import BaseModel, ValidationError

from schemas.errors import FieldError, field_errors
from services.ingest.account_mappings import MappingStore
from services.ingest.deps import Sink, Topics
from services.ingest.limits import TOO_LARGE, Limits
from services.ingest.metrics import count_event, count_ignored
from services.ingest.outcomes import Rejected, Translated, rejected_record
from services.ingest.producer import Record
from services.ingest.routes.events import produce
from services.ingest.segment import (
    SEGMENT_TYPES,
    SOURCE,
    SegmentBatch,
    SegmentType,
    openapi_schema,
    translate,
)
from services.kafka.topics import TopicNames
from services.web.api_keys import Caller
from services.web.auth import CHALLENGE, authenticate, settings_of
from services.web.http import json_router, read_body

router = json_router("/v1", "segment")
BATCH_ENDPOINT = "POST /v1/batch"
_AT = "2026-11-02T10:00:00.000+00:00"
_LIBRARY = {"library": {"name": "analytics-python", "version": "2.4.0"}}
EXAMPLES: dict[str, dict[str, Any]] = {
    "track": {"userId": "ann", "event": "Report Exported", "properties": {"format": "csv"},
              "context": {"groupId": "acme", **_LIBRARY}, "messageId": "m-1", "timestamp": _AT},
    "page": {"userId": "ann", "name": "Pricing", "properties": {"account_id": "acme"},
             "context": _LIBRARY, "messageId": "m-2", "timestamp": _AT},
    "screen": {"userId": "ann", "name": "Home", "context": {"groupId": "acme", **_LIBRARY},
               "messageId": "m-3", "timestamp": _AT},
    "identify": {"userId": "ann", "traits": {"email": "ann@acme.test", "account_id": "acme"},
                 "context": _LIBRARY, "messageId": "m-4", "timestamp": _AT},
    "group": {"userId": "ann", "groupId": "acme",
              "traits": {"name": "Acme", "plan": "enterprise", "seats": 40, "mrr": 4900,
                         "csm_email": "dana@example.com"},
              "context": _LIBRARY, "messageId": "m-5", "timestamp": _AT},
    "alias": {"previousId": "anon-7", "userId": "ann", "context": _LIBRARY, "messageId": "m-6"},
}  # fmt: skip
"""What Segment's Python library sends for each call."""
BATCH_EXAMPLE = {
    "batch": [{"type": t, **EXAMPLES[t]} for t in ("group", "identify", "track", "page")],
    "sentAt": _AT,
    "writeKey": "hm_your_key",
}
BATCH_SCHEMA = SegmentBatch.model_json_schema(by_alias=True)
BATCH_SCHEMA["properties"]["batch"]["items"] = openapi_schema(None)


def json_body_doc(schema: dict[str, Any], example: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI request body: JSON (optionally gzipped) with its schema and an example."""
    return {
        "required": True,
        "description": "JSON; may be sent with Content-Encoding: gzip.",
        "content": {"application/json": {"schema": schema, "example": example}},
    }


class SegmentItem(BaseModel):
    """The outcome of one message of a batch."""

    index: int
    status: Literal["accepted", "rejected", "ignored"]
    event_id: str | None = None
    account_id: str | None = None
    errors: list[FieldError] | None = None


class SegmentResult(BaseModel):
    """Segment's `{"success": true}`, with what became of each message."""

    success: Literal[True] = True
    accepted: int
    rejected: int
    ignored: int
    results: list[SegmentItem]


def write_key(request: Request, body: dict[str, Any]) -> str:
    """The write key: Basic-auth user name, Bearer token or the body's writeKey."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "malformed Basic credentials", headers=CHALLENGE
            ) from exc
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if isinstance(key := body.get("writeKey"), str) and key:
        return key
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "missing write key: send it as the Basic-auth user name (as Segment's libraries do)",
        headers=CHALLENGE,
    )


async def json_body(request: Request) -> dict[str, Any]:
    """The (possibly gzipped) JSON object body; 400 when it is not one."""
    raw = await read_body(request, settings_of(request).max_body_bytes)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "body must be a JSON object")
    return body


def time_field(raw: Any) -> str:
    """The field a message's event time comes from (after the clock correction)."""
    given = raw if isinstance(raw, dict) else {}
    only_original = given.get("timestamp") is None and given.get("originalTimestamp") is not None
    return "originalTimestamp" if only_original else "timestamp"


class Translator:
    """Turns messages into records for one request, learning user-account links as it goes.

    Blocking (mappings are looked up and learned in the database): run it through a thread.
    """

    def __init__(self, request: Request, topics: TopicNames, caller: Caller) -> None:
        self.mappings: MappingStore = request.app.state.mappings
        self.settings = settings_of(request)
        self.topics, self.caller = topics, caller
        self.limits: Limits = request.app.state.limits
        self.now = datetime.now(UTC)

    def account_of_user(self, user_id: str) -> str | None:
        return self.mappings.account_of(SOURCE, user_id)

    def records(
        self, raw: Any, type_: SegmentType | None = None, sent_at: datetime | None = None
    ) -> tuple[Translated, list[Record]]:
        """The message's records; Rejected when it is invalid, unattributable or forbidden."""
        translated = translate(
            raw,
            received_at=self.now,
            account_property=self.settings.segment_account_property,
            account_of_user=self.account_of_user,
            type_=type_,
            sent_at=sent_at,
        )
        needed = "accounts:write" if translated.update is not None else "events:usage"
        if translated.ignored is None and not self.caller.allows(needed):
            denied = f"this API key lacks the scope {needed!r}"
            raise Rejected("forbidden", [FieldError(loc=["type"], msg=denied, type="forbidden")])
        records = translated.records(self.topics)
        self.limits.check(translated, records, [time_field(raw)])
        for user, account in translated.links:
            self.mappings.learn(SOURCE, user, account, self.now)
        return translated, records


def accepted_item(index: int, translated: Translated) -> SegmentItem:
    return SegmentItem(
        index=index,
        status="accepted",
        event_id=translated.event_id,
        account_id=translated.account_id,
    )


def _kind(translated: Translated) -> str:
    return "account" if translated.update is not None else "usage"


def translate_batch(
    translator: Translator, batch: SegmentBatch
) -> tuple[list[SegmentItem], list[Record], Counter[str]]:
    """Each message's result, the records to produce and the accepted ones by kind (blocking)."""
    results: list[SegmentItem] = []
    records: list[Record] = []
    accepted: Counter[str] = Counter()
    for index, item in enumerate(batch.batch):
        if batch.context and isinstance(item, dict):
            item = {**item, "context": {**batch.context, **(item.get("context") or {})}}
        try:
            translated, made = translator.records(item, sent_at=batch.sent_at)
        except Rejected as rejected:
            results.append(SegmentItem(index=index, status="rejected", errors=rejected.errors))
            key = item.get("messageId") if isinstance(item.get("messageId"), str) else None
            dead = orjson.dumps(item)
            records.append(
                rejected_record(
                    translator.topics, BATCH_ENDPOINT, key, dead, rejected.errors, translator.now
                )
            )
            count_event(SOURCE, "usage", rejected.reason)
            continue
        if translated.ignored:
            results.append(SegmentItem(index=index, status="ignored"))
            count_ignored(SOURCE)
            continue
        records.extend(made)
        accepted[_kind(translated)] += 1
        results.append(accepted_item(index, translated))
    return results, records, accepted


@router.post(
    "/batch",
    summary="Segment batch: track, page, screen, identify, group and alias calls",
    response_model_exclude_none=True,
    responses={400: {}, 401: {}, 413: {}, 415: {}, 422: {}, 429: {}, 503: {}},
    openapi_extra={"requestBody": json_body_doc(BATCH_SCHEMA, BATCH_EXAMPLE)},
)
async def post_batch(request: Request, sink: Sink, topics: Topics) -> SegmentResult:
    """Each message is handled on its own: the valid ones are accepted even when others are not,
    and every refused one is also written to dead-letters (Segment's libraries ignore answers)."""
    body = await json_body(request)
    caller = await authenticate(request, write_key(request, body))
    try:
        batch = SegmentBatch.model_validate(body)
    except ValidationError as exc:
        raise HTTPException(422, [e.model_dump() for e in field_errors(exc.errors())]) from exc
    translator = Translator(request, topics, caller)
    results, records, accepted = await asyncio.to_thread(translate_batch, translator, batch)
    if records:
        await produce(sink, records)
    for kind, count in accepted.items():
        count_event(SOURCE, kind, count=count)
    counts = Counter(r.status for r in results)
    return SegmentResult(
        accepted=counts["accepted"],
        rejected=counts["rejected"],
        ignored=counts["ignored"],
        results=results,
    )


def _single(type_: SegmentType) -> Any:
    async def post_one(request: Request, sink: Sink, topics: Topics) -> SegmentResult:
        body = await json_body(request)
        caller = await authenticate(request, write_key(request, body))
        translator = Translator(request, topics, caller)
        try:
            translated, records = await asyncio.to_thread(translator.records, body, type_)
        except Rejected as rejected:
            count_event(SOURCE, "usage", rejected.reason)
            if rejected.reason == TOO_LARGE:
                raise HTTPException(413, f"event {rejected.errors[0].msg}") from rejected
            if rejected.reason in ("invalid", "forbidden"):
                code = 403 if rejected.reason == "forbidden" else 422
                raise HTTPException(code, [e.model_dump() for e in rejected.errors]) from rejected
            # valid but not attributable to an account: kept as a dead letter, like in a batch
            endpoint = f"POST /v1/{type_}"
            key = body.get("messageId") if isinstance(body.get("messageId"), str) else None
            dead = rejected_record(
                topics, endpoint, key, orjson.dumps(body), rejected.errors, translator.now
            )
            await produce(sink, [dead])
            item = SegmentItem(index=0, status="rejected", errors=rejected.errors)
            return SegmentResult(accepted=0, rejected=1, ignored=0, results=[item])
        if translated.ignored:
            count_ignored(SOURCE)
            item = SegmentItem(index=0, status="ignored")
        else:
            await produce(sink, records)
            count_event(SOURCE, _kind(translated))
            first = translated.events[0] if translated.events else None
            item = SegmentItem(
                index=0,
                status="accepted",
                event_id=first.event_id if first else None,
                account_id=first.account_id
                if first
                else translated.update and translated.update.account_id,
            )
        return SegmentResult(
            accepted=int(item.status == "accepted"),
            rejected=0,
            ignored=int(item.status == "ignored"),
            results=[item],
        )

    return post_one


for _type in SEGMENT_TYPES:
    router.add_api_route(
        f"/{_type}",
        _single(_type),
        methods=["POST"],
        summary=f"Segment {_type} call",
        response_model=SegmentResult,
        response_model_exclude_none=True,
        responses={400: {}, 401: {}, 403: {}, 413: {}, 415: {}, 422: {}, 429: {}, 503: {}},
        openapi_extra={"requestBody": json_body_doc(openapi_schema(_type), EXAMPLES[_type])},
    )
