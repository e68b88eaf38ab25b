"""Routes: which notifications go where. Pure: routes and an alert in, destinations out.

A route matches on the alert (segment, band, severity, reason codes, CSM owner) and the
notification's event type; every enabled route that matches adds its channels. A match field
left out matches anything. Channels: the account's CSM owner by email, email lists, Slack
incoming webhooks, webhook endpoints. Webhook endpoints also receive what their event-type filter
subscribes them to; each destination gets a notification once.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from schemas.accounts import Email
from schemas.alerts import Alert
from schemas.errors import describe, field_errors
from schemas.health import Band


class Match(BaseModel):
    """What a route applies to; each given list must contain the alert's value."""

    model_config = ConfigDict(extra="forbid")

    segments: list[str] | None = None
    bands: list[Band] | None = None
    severities: list[Literal["warning", "critical"]] | None = None
    reason_codes: list[str] | None = Field(
        None, description="Any of these codes among the change's reasons."
    )
    owners: list[Email] | None = Field(None, description="CSM owners' emails.")
    event_types: list[str] | None = Field(
        None, description="alert.created, alert.worsened, alert.reopened, alert.resolved."
    )


class CsmOwner(BaseModel):
    """Email the account's CSM owner (nothing when the account has none): each alert as it
    comes, or with `digest` one mail a day listing them."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["csm_owner"]
    digest: bool = False


class EmailList(BaseModel):
    """Email these addresses."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["email"]
    to: list[Email] = Field(min_length=1, max_length=50)


class Slack(BaseModel):
    """Post to a Slack incoming webhook."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["slack"]
    url: HttpUrl


class Webhook(BaseModel):
    """Deliver to a registered webhook endpoint."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["webhook"]
    endpoint_id: Annotated[str, Field(min_length=1, max_length=40)]


Channel = Annotated[CsmOwner | EmailList | Slack | Webhook, Field(discriminator="type")]
EMAIL_CHANNELS = frozenset({"csm_owner", "email"})


class RouteSpec(BaseModel):
    """A route as written in the API and the routes file."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    position: int = Field(
        100, ge=-1_000_000, le=1_000_000, description="Routes apply in this order (all that match)."
    )
    enabled: bool = True
    match: Match = Field(default_factory=Match)
    channels: list[Channel] = Field(min_length=1)


@dataclass(frozen=True)
class Destination:
    """Where one notification goes."""

    channel: Literal["webhook", "slack", "email", "digest"]
    target: str
    """The endpoint id, the Slack webhook URL or the email address."""


def _ok(allowed: list[Any] | None, value: Any) -> bool:
    return allowed is None or value in allowed


def matches(match: Match, alert: Alert, event_type: str) -> bool:
    """Whether a notification of `alert` for `event_type` falls under `match`."""
    reasons = {r.code for r in alert.change.reasons}
    return (
        _ok(match.segments, alert.segment)
        and _ok(match.bands, alert.band)
        and _ok(match.severities, alert.severity)
        and _ok(match.owners, alert.csm_owner)
        and _ok(match.event_types, event_type)
        and (match.reason_codes is None or bool(reasons & set(match.reason_codes)))
    )


def destinations(routes: Iterable[RouteSpec], alert: Alert, event_type: str) -> list[Destination]:
    """The destinations of a notification, in route order, each once."""
    found: dict[Destination, None] = {}
    for route in sorted(routes, key=lambda r: r.position):
        if not route.enabled or not matches(route.match, alert, event_type):
            continue
        for channel in route.channels:
            match channel:
                case CsmOwner(digest=digest):
                    owner = alert.csm_owner
                    if owner:
                        found[Destination("digest" if digest else "email", owner)] = None
                case EmailList(to=addresses):
                    for address in addresses:
                        found[Destination("email", address)] = None
                case Slack(url=url):
                    found[Destination("slack", str(url))] = None
                case Webhook(endpoint_id=endpoint_id):
                    found[Destination("webhook", endpoint_id)] = None
    return list(found)


class RoutesFile(BaseModel):
    """The routes file: `[[routes]]` tables, each a route."""

    model_config = ConfigDict(extra="forbid")

    routes: list[RouteSpec] = []


def read_routes_file(text: str) -> list[RouteSpec]:
    """The routes of a routes file (TOML); ValueError naming the field when one is invalid."""
    try:
        return RoutesFile.model_validate(tomllib.loads(text)).routes
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"routes file is not TOML: {exc}") from exc
    except ValidationError as exc:
        raise ValueError(f"routes file: {describe(field_errors(exc.errors()))}") from exc


def next_digest_at(now: datetime, hour_utc: int) -> datetime:
    """When the next daily digest goes out: today at `hour_utc`, or tomorrow if that passed."""
    today = now.astimezone(UTC).replace(hour=hour_utc, minute=0, second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)
