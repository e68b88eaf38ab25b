"""Webhook endpoints: register, list, update, rotate the secret, ping, replay, attempts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Body, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from schemas.values import UtcDatetime
from services.alerts.channels.webhook import send_ping
from services.alerts.deps import DbSession
from services.alerts.outbound import Refused, outbound_client
from services.alerts.store.alerts import utcnow
from services.alerts.store.endpoints import (
    attempts_of,
    create_endpoint,
    endpoint_secrets,
    replay_to,
    rotate_secret,
    update_endpoint,
)
from services.alerts.store.outbox import EVENT_TYPES
from services.alerts.tables import WebhookEndpointRow
from services.web.auth import AlertsReader, AlertsWriter
from services.web.http import json_router

router = json_router("/v1/webhook-endpoints", "webhook endpoints")
EventType = Annotated[
    str, Field(pattern="^(" + "|".join(t.replace(".", r"\.") for t in EVENT_TYPES) + ")$")
]


class EndpointIn(BaseModel):
    """A receiver URL and the event types it wants."""

    url: AnyHttpUrl
    description: str | None = Field(None, max_length=500)
    event_types: list[EventType] = Field(
        default_factory=lambda: list(EVENT_TYPES),
        min_length=1,
        description="alert.created, alert.worsened, alert.reopened, alert.resolved (default all).",
    )


class EndpointOut(BaseModel):
    """A registered endpoint (without its secret)."""

    id: str
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    created_at: datetime
    updated_at: datetime | None
    previous_secret_until: datetime | None = Field(
        description="Until then messages are signed with the previous secret too."
    )
    failing_since: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None


class EndpointPatch(BaseModel):
    """Fields to change; `enabled: true` re-enables a disabled endpoint."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl | None = None
    description: str | None = Field(None, max_length=500)
    event_types: list[EventType] | None = Field(None, min_length=1)
    enabled: bool | None = None


class Ping(BaseModel):
    """What the endpoint answered to a test message."""

    delivered: bool
    status_code: int | None
    error: str | None = Field(
        description="Why it failed: for an answer, at most a short excerpt of its body."
    )
    duration_ms: float


class ReplayIn(BaseModel):
    """Which notifications to send again: one alert's, or those of a time range."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["alert_id"],
                    "properties": {"alert_id": {"type": "string"}, "since": {"type": "null"}},
                },
                {
                    "required": ["since"],
                    "properties": {"since": {"type": "string"}, "alert_id": {"type": "null"}},
                },
            ]
        },
    )

    alert_id: str | None = None
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None

    @model_validator(mode="after")
    def _scope(self) -> ReplayIn:
        if (self.alert_id is None) == (self.since is None):
            raise ValueError("give alert_id, or since (and optionally until)")
        return self


class Replayed(BaseModel):
    """How many notifications were queued again for the endpoint."""

    queued: int


class AttemptOut(BaseModel):
    """One delivery attempt to the endpoint."""

    delivery_id: str = Field(description="The webhook-id of the message.")
    alert_id: str
    event_type: str
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class EndpointCreated(EndpointOut):
    """A new endpoint with its signing secret, shown only now."""

    secret: str = Field(description="whsec_ secret to verify the webhook-signature header.")


def _out(row: WebhookEndpointRow) -> dict[str, object]:
    return {k: getattr(row, k) for k in EndpointOut.model_fields}


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a webhook endpoint")
def register(
    body: Annotated[
        EndpointIn,
        Body(
            openapi_examples={
                "CRM sync": {
                    "value": {
                        "url": "https://crm.example.com/hooks/healthmon",
                        "description": "CRM sync",
                        "event_types": ["alert.created", "alert.resolved"],
                    }
                }
            }
        ),
    ],
    request: Request,
    session: DbSession,
    _key: AlertsWriter,
) -> EndpointCreated:
    """The URL must resolve to public addresses only, unless its network is allowed
    (HEALTHMON_WEBHOOK_ALLOW_NETWORKS); otherwise 422 names `url` and why."""
    url = _reachable(request, str(body.url))
    box = request.app.state.secret_box
    row = create_endpoint(session, url, body.description, body.event_types, utcnow(), box)
    session.flush()
    return EndpointCreated(**_out(row), secret=box.open(row.secret))


@router.get("", summary="List webhook endpoints")
def list_endpoints(session: DbSession, _key: AlertsReader) -> list[EndpointOut]:
    rows = session.scalars(select(WebhookEndpointRow).order_by(WebhookEndpointRow.created_at))
    return [EndpointOut(**_out(row)) for row in rows]


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such endpoint"}}


def _reachable(request: Request, url: str) -> str:
    """`url` unless the outbound policy refuses it (a 422 naming `url` and why); a name that
    does not resolve yet is accepted, since every send checks it again."""
    try:
        request.app.state.outbound.addresses(url)
    except Refused as exc:
        if not exc.permanent:
            return url
        error = {"type": "url_refused", "loc": ("body", "url"), "msg": exc.reason, "input": url}
        raise RequestValidationError([error]) from exc
    return url


def _endpoint(session: DbSession, endpoint_id: str) -> WebhookEndpointRow:
    row = session.get(WebhookEndpointRow, endpoint_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no webhook endpoint {endpoint_id!r}")
    return row


@router.patch("/{endpoint_id}", summary="Change or re-enable an endpoint", responses=NOT_FOUND)
def patch_endpoint(
    endpoint_id: str,
    body: Annotated[
        EndpointPatch, Body(openapi_examples={"re-enable": {"value": {"enabled": True}}})
    ],
    request: Request,
    session: DbSession,
    _key: AlertsWriter,
) -> EndpointOut:
    row = _endpoint(session, endpoint_id)
    changes = body.model_dump(exclude_unset=True, mode="json")
    if changes.get("url") is not None:
        changes["url"] = _reachable(request, changes["url"])
    update_endpoint(row, changes, utcnow())
    session.flush()
    return EndpointOut(**_out(row))


@router.post(
    "/{endpoint_id}/rotate-secret", summary="Make a new signing secret", responses=NOT_FOUND
)
def rotate(
    endpoint_id: str, request: Request, session: DbSession, _key: AlertsWriter
) -> EndpointCreated:
    """The new secret is shown only now. Messages are signed with both secrets (two
    signatures in webhook-signature) for HEALTHMON_WEBHOOK_SECRET_OVERLAP_S, so receivers can
    switch over without losing any."""
    row = _endpoint(session, endpoint_id)
    overlap = timedelta(seconds=request.app.state.settings.webhook_secret_overlap_s)
    box = request.app.state.secret_box
    rotate_secret(row, utcnow(), overlap, box)
    session.flush()
    return EndpointCreated(**_out(row), secret=box.open(row.secret))


@router.post("/{endpoint_id}/ping", summary="Send a test message now", responses=NOT_FOUND)
async def ping(endpoint_id: str, request: Request, _key: AlertsWriter) -> Ping:
    """A signed `webhook.ping` message, sent once (not retried) and not counted as a failure
    of the endpoint; the answer says what the receiver did: its status and at most a short
    excerpt of its body. The outbound policy applies as to deliveries."""
    sessions = request.app.state.sessions
    with sessions() as session:
        row = _endpoint(session, endpoint_id)
        url, secrets = row.url, endpoint_secrets(row, utcnow(), request.app.state.secret_box)
    settings = request.app.state.settings
    async with outbound_client(request.app.state.outbound) as client:
        outcome, duration_ms = await send_ping(client, url, secrets, settings.webhook_timeout_s)
    return Ping(
        delivered=outcome.ok,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=duration_ms,
    )


@router.post("/{endpoint_id}/replay", summary="Send notifications again", responses=NOT_FOUND)
def replay(
    endpoint_id: str,
    body: Annotated[
        ReplayIn,
        Body(openapi_examples={"a day": {"value": {"since": "2026-11-24T00:00:00Z"}}}),
    ],
    session: DbSession,
    _key: AlertsWriter,
) -> Replayed:
    """Queues again, for this endpoint, the notifications of one alert or of the alerts raised
    in a time range (those of its event types), as new messages with new webhook-ids."""
    row = _endpoint(session, endpoint_id)
    queued = replay_to(session, row, body.alert_id, body.since, body.until, utcnow())
    return Replayed(queued=queued)


@router.get(
    "/{endpoint_id}/attempts", summary="Delivery attempts, newest first", responses=NOT_FOUND
)
def attempts(
    endpoint_id: str,
    session: DbSession,
    _key: AlertsReader,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AttemptOut]:
    _endpoint(session, endpoint_id)
    return [
        AttemptOut.model_validate(row, from_attributes=True)
        for row in attempts_of(session, endpoint_id, limit)
    ]
