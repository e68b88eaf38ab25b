"""The Channel interface that webhooks, Slack, email and the digest implement, what a channel is
handed, and the delivery settings it schedules its notifications by."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Protocol

from schemas.alerts import Alert, AlertMessage
from services.alerts.channels.outcome import SendOutcome


@dataclass(frozen=True)
class Delivering:
    """How notifications enter the outbox."""

    first_delay_s: float = 0.0
    """Wait before the first attempt (the first entry of the retry schedule)."""
    email: bool = True
    """Whether email goes out (an SMTP server is configured)."""
    digest_hour_utc: int = 8
    """When daily digests are sent."""


@dataclass(frozen=True)
class Notification:
    """A claimed delivery with what is needed to send it."""

    delivery_id: str
    channel: str
    target: str
    """The endpoint's URL, the Slack webhook URL or the email address."""
    secrets: list[str]
    body: bytes
    """The encoded webhook message (schemas.alerts.AlertMessage), as the outbox holds it."""
    attempts: int
    destination: str
    """The unit of concurrency: the endpoint, Slack webhook or mailbox."""
    problem: str | None = None
    """Why it cannot be sent now (e.g. its secret does not open)."""

    def alert(self) -> Alert:
        """The alert the notification is about."""
        return AlertMessage.model_validate_json(self.body).data


class Channel(Protocol):
    """One way alerts go out. The outbox asks the channel when a notification is first due (and
    whether it takes any); the delivery worker hands it what is due and records how it went."""

    name: ClassVar[str]
    """What the outbox and the routes call it: webhook, slack, email, digest."""
    batches: ClassVar[bool]
    """Whether the notifications due to one destination go out together, as one message."""
    endpoints: ClassVar[bool]
    """Whether its targets are webhook endpoints (rows holding the URL and the secrets, and
    disabled when they keep failing) rather than addresses."""

    @staticmethod
    def first_attempt_at(now: datetime, delivering: Delivering) -> datetime | None:
        """When a notification written at `now` is first due; None when the channel is off."""
        ...

    async def send(self, notifications: Sequence[Notification]) -> SendOutcome:
        """One attempt at one message: delivered, or failed (permanently or to be retried). It
        is one notification, or for a channel that `batches`, all those due to a destination."""
        ...


class EachAlone:
    """What most channels are: each notification sent alone, to an address, first tried after
    the retry schedule's first delay."""

    batches: ClassVar[bool] = False
    endpoints: ClassVar[bool] = False

    @staticmethod
    def first_attempt_at(now: datetime, delivering: Delivering) -> datetime | None:
        """After the first delay of the retry schedule."""
        return now + timedelta(seconds=delivering.first_delay_s)
