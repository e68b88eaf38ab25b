"""Webhook endpoints: register and list receivers of signed webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import AnyHttpUrl, BaseModel, Field
from sqlalchemy import select

from services.alerts.deps import DbSession
from services.alerts.store import EVENT_TYPES, create_endpoint, utcnow
from services.alerts.tables import WebhookEndpointRow
from services.auth import AlertsReader, AlertsWriter
from services.http import require_json

router = APIRouter(
    prefix="/v1/webhook-endpoints", tags=["webhook endpoints"], dependencies=[Depends(require_json)]
)
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


class EndpointCreated(EndpointOut):
    """A new endpoint with its signing secret, shown only now."""

    secret: str = Field(description="whsec_ secret to verify the webhook-signature header.")


def _out(row: WebhookEndpointRow) -> dict[str, object]:
    return {k: getattr(row, k) for k in EndpointOut.model_fields}


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a webhook endpoint")
def register(body: EndpointIn, session: DbSession, _key: AlertsWriter) -> EndpointCreated:
    row = create_endpoint(session, str(body.url), body.description, body.event_types, utcnow())
    session.flush()
    return EndpointCreated(**_out(row), secret=row.secret)


@router.get("", summary="List webhook endpoints")
def list_endpoints(session: DbSession, _key: AlertsReader) -> list[EndpointOut]:
    rows = session.scalars(select(WebhookEndpointRow).order_by(WebhookEndpointRow.created_at))
    return [EndpointOut(**_out(row)) for row in rows]
