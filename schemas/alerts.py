"""The alert contract: an alert as the API, Slack, email and webhooks show it, and the webhook
message around it (the JSON Schema of webhook-messages is for receivers)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.health import Band, RiskChange

AlertStatus = Literal["open", "acknowledged", "snoozed", "resolved"]
Severity = Literal["warning", "critical"]
AlertEventType = Literal["alert.created", "alert.reopened", "alert.worsened", "alert.resolved"]


class Alert(BaseModel):
    """An alert (one risk episode of an account) and its latest risk change."""

    model_config = ConfigDict(frozen=True)

    id: str
    account_id: str
    status: AlertStatus
    severity: Severity
    band: Band = Field(description="The band of the latest change.")
    score: float | None = Field(description="The score of the latest change, if it has one.")
    title: str = Field(description="One line: the account, its band and score, the top reason.")
    segment: str | None
    csm_owner: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None
    acknowledged_at: AwareDatetime | None
    acknowledged_by: str | None
    snoozed_until: AwareDatetime | None
    resolved_at: AwareDatetime | None
    resolution: str | None
    change: RiskChange = Field(description="The alert's latest risk change.")


class AlertMessage(BaseModel):
    """A webhook message about an alert: what happened to it, when, and the alert."""

    model_config = ConfigDict(frozen=True)

    type: AlertEventType
    timestamp: AwareDatetime = Field(description="When the notification was written.")
    data: Alert


class NoData(BaseModel):
    """An empty object."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PingMessage(BaseModel):
    """The message `POST /v1/webhook-endpoints/{id}/ping` sends to test an endpoint."""

    model_config = ConfigDict(frozen=True)

    type: Literal["webhook.ping"] = "webhook.ping"
    timestamp: AwareDatetime
    data: NoData = NoData()


WebhookMessage = Annotated[AlertMessage | PingMessage, Field(discriminator="type")]
"""The body of every webhook request healthmon sends (signed per Standard Webhooks)."""
