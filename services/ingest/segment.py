"""Segment Tracking API messages (track, page, screen, identify, group, alias) as healthmon input.

Pure: which account a message belongs to is asked of a callback (the mapping facility), and what
the message teaches about users' accounts is returned for the caller to record.

- track: a usage `feature_used` event; the feature is the event name in snake case
  ("Report Exported" -> `report_exported`), which the model's key-feature names and patterns match.
- page, screen, identify: a usage `active` event for the user (active-user counts).
- group: an account update from the group's traits; the user is remembered as the group's member.
- alias: acknowledged; it says nothing about an account's health.

The account is `context.groupId`, else the configured property (properties for track/page/screen,
traits for identify), else the account the user was last grouped with. messageId is the event id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas import AccountTraits, AccountUpdate
from schemas.errors import field_errors
from schemas.events import EVENT_ADAPTER, Event
from schemas.values import FiniteJson, Id, UtcDatetime
from services.ingest.outcomes import Rejected, Translated

SOURCE = "segment"
MAX_ID = 200
SegmentType = Literal["track", "page", "screen", "identify", "group", "alias"]
SEGMENT_TYPES: tuple[SegmentType, ...] = get_args(SegmentType)
TRAIT_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "segment": ("segment", "plan", "tier"),
    "csm_owner": ("csm_owner", "csm_email"),
    "seats": ("seats",),
    "mrr": ("mrr",),
    "lifecycle_stage": ("lifecycle_stage", "stage"),
}
"""Account traits and the group traits they are read from, first found wins."""


class SegmentMessage(BaseModel):
    """A Segment call as the official libraries send it (null fields count as absent)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True)

    type: SegmentType | None = Field(None, description="Implied by the path on /v1/<type>.")
    message_id: Id | None = Field(None, alias="messageId", description="Becomes the event_id.")
    user_id: Id | None = Field(None, alias="userId")
    anonymous_id: Id | None = Field(None, alias="anonymousId")
    timestamp: UtcDatetime | None = None
    original_timestamp: UtcDatetime | None = Field(None, alias="originalTimestamp")
    sent_at: UtcDatetime | None = Field(None, alias="sentAt")
    context: dict[str, Any] | None = None
    event: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    name: str | None = None
    category: str | None = None
    properties: dict[str, FiniteJson] | None = None
    traits: dict[str, FiniteJson] | None = None
    group_id: Id | None = Field(None, alias="groupId")


class SegmentBatch(BaseModel):
    """POST /v1/batch: messages (each with its `type`) and what applies to all of them."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    batch: list[dict[str, Any]] = Field(min_length=1, max_length=2500)
    sent_at: UtcDatetime | None = Field(None, alias="sentAt")
    context: dict[str, Any] | None = None
    write_key: str | None = Field(None, alias="writeKey")


def parse(data: Any, type_: str | None = None) -> SegmentMessage:
    """Validate one message; `type_` is the type implied by the endpoint."""
    if isinstance(data, dict) and type_ is not None:
        data = {**data, "type": type_}
    try:
        message = SegmentMessage.model_validate(data)
    except ValidationError as exc:
        raise Rejected("invalid", field_errors(exc.errors(), data)) from exc
    if message.type is None:
        raise Rejected.at(["type"], "Field required", "invalid")
    if message.type != "alias" and not (message.user_id or message.anonymous_id):
        raise Rejected.at(["userId"], "give userId or anonymousId", "invalid")
    if message.type == "track" and not message.event:
        raise Rejected.at(["event"], "a track call needs an event name", "invalid")
    if message.type == "group" and not message.group_id:
        raise Rejected.at(["groupId"], "a group call needs a groupId", "invalid")
    return message


def feature_name(event: str) -> str:
    """A track event's name as a usage feature: snake case, starting with a letter."""
    name = re.sub(r"[^a-z0-9]+", "_", event.lower()).strip("_") or "event"
    return (name if name[0].isalpha() else f"e_{name}")[:100]


def occurred_at(
    message: SegmentMessage, received_at: datetime, sent_at: datetime | None
) -> datetime:
    """Event time corrected for the sender's clock, as Segment does:
    received_at - (sent_at - timestamp)."""
    stamped = message.timestamp or message.original_timestamp
    sent = message.sent_at or sent_at
    if stamped is None:
        return received_at
    if sent is None:
        return stamped
    try:
        return received_at - (sent - stamped)
    except OverflowError:
        raise Rejected.at(
            ["sentAt"],
            "the clock correction receivedAt - (sentAt - timestamp) falls outside years 1-9999",
        ) from None


def event_id(message: SegmentMessage, raw: Any) -> str:
    """messageId, or a digest of the message so that a resent message keeps its id."""
    if message.message_id:
        return message.message_id
    return "seg-" + hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()[:40]


def account_of(
    message: SegmentMessage, account_property: str, account_of_user: Callable[[str], str | None]
) -> str:
    """The account a non-group message is about; Rejected when nothing says."""
    context = message.context or {}
    own = (message.traits if message.type == "identify" else message.properties) or {}
    for candidate in (context.get("groupId"), own.get(account_property)):
        usable = isinstance(candidate, str | int) and not isinstance(candidate, bool)
        if usable and 1 <= len(str(candidate)) <= MAX_ID:
            return str(candidate)
    if message.user_id and (known := account_of_user(message.user_id)):
        return known
    where = "traits" if message.type == "identify" else "properties"
    raise Rejected.at(
        ["context", "groupId"],
        f"no account: send context.groupId or {where}.{account_property}, or a group call "
        "for this userId first",
        "no_account",
    )


def group_traits(message: SegmentMessage, received_at: datetime) -> AccountUpdate:
    """The account update of a group call; a trait of the wrong type names its field."""
    traits = message.traits or {}
    values: dict[str, Any] = {"account_id": message.group_id}
    origin: dict[str, str] = {}
    for name, keys in TRAIT_ALIASES.items():
        for key in keys:
            if traits.get(key) is not None:
                values[name], origin[name] = traits[key], key
                break
    try:
        known = AccountTraits.model_validate(values)
    except ValidationError as exc:
        errors = field_errors(exc.errors(), values)
        for error in errors:
            first = error.loc[0] if error.loc else None
            error.loc = (
                ["traits", origin[first]]
                if isinstance(first, str) and first in origin
                else ["groupId"]
            )
        raise Rejected("invalid", errors) from exc
    return AccountUpdate(**known.model_dump(), updated_at=received_at, source=SOURCE)


def usage_event(
    message: SegmentMessage, raw: Any, account: str, received_at: datetime, sent_at: datetime | None
) -> Event:
    """The usage event of a track, page, screen or identify call."""
    user = message.user_id or f"anonymous:{message.anonymous_id}"
    properties: dict[str, Any] = {"user_id": user, "via": message.type}
    if message.type == "track":
        assert message.event is not None
        properties |= {"feature": feature_name(message.event), "event": message.event}
    if message.name:
        properties["name"] = message.name
    if message.properties:
        properties["properties"] = message.properties
    return EVENT_ADAPTER.validate_python(
        {
            "event_id": event_id(message, raw),
            "account_id": account,
            "kind": "usage",
            "type": "feature_used" if message.type == "track" else "active",
            "occurred_at": occurred_at(message, received_at, sent_at),
            "received_at": received_at,
            "source": SOURCE,
            "properties": properties,
        }
    )


def translate(
    raw: Any,
    *,
    received_at: datetime,
    account_property: str,
    account_of_user: Callable[[str], str | None],
    type_: str | None = None,
    sent_at: datetime | None = None,
) -> Translated:
    """What one Segment message becomes; Rejected with the fields at fault otherwise."""
    message = parse(raw, type_)
    if message.type == "alias":
        return Translated(ignored="alias")
    if message.type == "group":
        assert message.group_id is not None
        links = [(message.user_id, message.group_id)] if message.user_id else []
        return Translated(update=group_traits(message, received_at), links=links)
    account = account_of(message, account_property, account_of_user)
    try:
        event = usage_event(message, raw, account, received_at, sent_at)
    except ValidationError as exc:
        raise Rejected("invalid", field_errors(exc.errors())) from exc
    links = [(message.user_id, account)] if message.type == "identify" and message.user_id else []
    return Translated(events=[event], links=links)


REF_TEMPLATE = "#/components/schemas/{model}"
OPENAPI_DEFS: dict[str, Any] = SegmentMessage.model_json_schema(
    by_alias=True, ref_template=REF_TEMPLATE
)["$defs"]
"""Schemas the call schemas refer to, for the OpenAPI document's components."""


def openapi_schema(type_: SegmentType | None) -> dict[str, Any]:
    """The JSON Schema of a call on /v1/<type> (or of any call, with `type`, when None): the
    fields each type needs, and the group traits healthmon reads with their types. Its
    references point into the OpenAPI components (see OPENAPI_DEFS)."""
    schema = SegmentMessage.model_json_schema(by_alias=True, ref_template=REF_TEMPLATE)
    del schema["$defs"]
    schema["title"] = f"Segment {type_} call" if type_ else "Segment call"
    someone = [{"required": [field], "properties": {field: {"type": "string"}}}
               for field in ("userId", "anonymousId")]  # fmt: skip
    needs: dict[str | None, list[dict[str, Any]]] = {
        "track": [{"required": ["event"], "properties": {"event": {"type": "string"}}}],
        "group": [{"required": ["groupId"], "properties": {"groupId": {"type": "string"}}}],
    }
    if type_ != "alias":
        schema["allOf"] = [{"anyOf": someone}, *needs.get(type_, [])]
    if type_ is None:
        schema["required"] = ["type"]
        schema["properties"]["type"] = {"enum": list(SEGMENT_TYPES)}
    else:
        del schema["properties"]["type"]
    if type_ == "group":
        traits = AccountTraits.model_json_schema()["properties"]
        schema["properties"]["traits"] = {
            "type": "object",
            "description": "Traits healthmon reads (first key found of each row); others are kept.",
            "properties": {
                key: traits[name] for name, keys in TRAIT_ALIASES.items() for key in keys
            },
            "additionalProperties": True,
        }
    return schema
