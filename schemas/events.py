"""Input events (usage, ticket, payment): the contract of the three event topics.

Each event kind has a base vocabulary of `type`s whose `properties` are checked; unknown usage
types are accepted as custom activity, unknown ticket and payment types are rejected.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Union, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    create_model,
)

from schemas.values import FiniteFloat, FiniteJson, Id, UtcDatetime

SCHEMA_VERSION: Literal[1] = 1
EventKind = Literal["usage", "ticket", "payment"]
EventType = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_.:-]*$")]
TicketPriority = Literal["low", "normal", "high", "urgent"]


class Properties(BaseModel):
    """Event properties: known fields are checked, any other field is kept."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, FiniteJson] = Field(init=False)


class UserActivity(Properties):
    user_id: Id


class FeatureUse(UserActivity):
    feature: Id


class NpsResponse(Properties):
    score: int = Field(ge=0, le=10)
    user_id: Id | None = None


class TicketRef(Properties):
    ticket_id: Id


class TicketOpened(TicketRef):
    priority: TicketPriority = "normal"


class TicketUpdated(TicketRef):
    status: str | None = None
    priority: TicketPriority | None = None


class CsatRating(Properties):
    score: Annotated[int, Field(ge=1, le=5)] | Literal["good", "bad"]
    ticket_id: Id | None = None


class Payment(Properties):
    invoice_id: Id | None = None
    amount: FiniteFloat | None = Field(None, ge=0)
    currency: str | None = None


class SubscriptionStarted(Properties):
    mrr: FiniteFloat | None = Field(None, ge=0)


class SubscriptionChanged(Properties):
    mrr_before: FiniteFloat = Field(ge=0)
    mrr_after: FiniteFloat = Field(ge=0)


class Dispute(Properties):
    dispute_id: Id | None = None
    amount: FiniteFloat | None = Field(None, ge=0)


VOCABULARY: dict[str, dict[str, type[Properties]]] = {
    "usage": {"active": UserActivity, "feature_used": FeatureUse, "nps_response": NpsResponse},
    "ticket": {
        "ticket_opened": TicketOpened,
        "ticket_updated": TicketUpdated,
        "ticket_escalated": TicketRef,
        "ticket_closed": TicketRef,
        "csat_rating": CsatRating,
    },
    "payment": {
        "invoice_paid": Payment,
        "payment_failed": Payment,
        "payment_recovered": Payment,
        "subscription_started": SubscriptionStarted,
        "subscription_changed": SubscriptionChanged,
        "subscription_canceled": Properties,
        "subscription_ended": Properties,
        "trial_ending": Properties,
        "dispute_opened": Dispute,
        "dispute_closed": Dispute,
        "refund_issued": Payment,
    },
}
CUSTOM_USAGE = "custom"


class Event(BaseModel):
    """One input event as it travels on the usage-, ticket- and payment-events topics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Id = Field(description="Dedupe key: client-supplied or provider id, else generated.")
    account_id: Id
    kind: EventKind
    type: EventType
    occurred_at: UtcDatetime = Field(description="Event time (RFC 3339, UTC).")
    received_at: UtcDatetime = Field(description="Set by ingest.")
    source: Annotated[str, Field(min_length=1, max_length=100)]
    properties: Properties = Field(default_factory=Properties)
    schema_version: Literal[1] = SCHEMA_VERSION


class EventIn(BaseModel):
    """An event as a client sends it: ingest fills in the id, times and source if absent."""

    model_config = ConfigDict(extra="forbid")

    event_id: Id | None = None
    account_id: Id
    kind: EventKind
    type: EventType
    occurred_at: UtcDatetime | None = None
    source: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    properties: Properties = Field(default_factory=Properties)
    schema_version: Literal[1] = SCHEMA_VERSION


def _tag(value: Any) -> str | None:
    """Pick the variant of an event by its kind and type (custom for unknown usage types)."""
    if isinstance(value, dict):
        kind, type_ = value.get("kind"), value.get("type")
    else:
        kind, type_ = getattr(value, "kind", None), getattr(value, "type", None)
    if not isinstance(kind, str) or kind not in VOCABULARY or not isinstance(type_, str):
        return None
    if type_ in VOCABULARY[kind]:
        return f"{kind}.{type_}"
    return f"usage.{CUSTOM_USAGE}" if kind == "usage" else None


def _variants(base: type[BaseModel], kinds: tuple[str, ...] = tuple(VOCABULARY)) -> Any:
    """One model per known (kind, type), so a type's properties are checked and documented."""
    members: list[Any] = []
    for kind in kinds:
        types = VOCABULARY[kind]
        for type_, props in {
            **types,
            **({CUSTOM_USAGE: Properties} if kind == "usage" else {}),
        }.items():
            # A custom usage type is any type but the known ones (so the JSON Schema's oneOf holds).
            not_known: dict[str, Any] = {"not": {"enum": sorted(types)}}
            type_field: Any = (
                (Literal[type_], ...)
                if type_ != CUSTOM_USAGE
                else (EventType, Field(json_schema_extra=cast(Any, not_known)))
            )
            model: Any = create_model(
                f"{kind.title()}{''.join(p.title() for p in type_.split('_'))}{base.__name__}",
                __base__=base,
                kind=cast(Any, (Literal[kind], ...)),
                type=type_field,
                # Required when the type has required properties; otherwise it may be left out.
                properties=cast(
                    Any,
                    (props, ...)
                    if any(f.is_required() for f in cast(Any, props).model_fields.values())
                    else (props, Field(default_factory=cast(Any, props))),
                ),
            )
            members.append(Annotated[model, Tag(f"{kind}.{type_}")])
    return Annotated[
        Union[tuple(members)],  # noqa: UP007 - a Union built from a runtime tuple
        Discriminator(
            _tag,
            custom_error_type="unknown_event_type",
            custom_error_message=(
                "unknown kind/type: kind must be usage, ticket or payment, and ticket and "
                "payment events must use a type of the base vocabulary"
            ),
        ),
    ]


AnyEvent = _variants(Event)
EVENT_OF_KIND = {kind: _variants(Event, (kind,)) for kind in VOCABULARY}
AnyEventIn = _variants(EventIn)
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(AnyEvent)
EVENT_IN_ADAPTER: TypeAdapter[EventIn] = TypeAdapter(AnyEventIn)


def completed_data(
    event: EventIn, *, event_id: str, received_at: datetime, source: str
) -> dict[str, Any]:
    """The topic event of an accepted client event, as plain data: ingest's fields filled in.

    A valid EventIn completed this way is a valid Event (tests hold it to that), so ingest
    encodes this without validating the event a second time.
    """
    return {
        "event_id": event.event_id or event_id,
        "account_id": event.account_id,
        "kind": event.kind,
        "type": event.type,
        "occurred_at": event.occurred_at or received_at,
        "received_at": received_at,
        "source": event.source or source,
        "properties": event.properties.model_dump(),
        "schema_version": event.schema_version,
    }


def complete(event: EventIn, *, event_id: str, received_at: datetime, source: str) -> Event:
    """Turn an accepted client event into the topic event, filling ingest-owned fields."""
    return EVENT_ADAPTER.validate_python(
        completed_data(event, event_id=event_id, received_at=received_at, source=source)
    )
