"""The Channel interface that webhooks, Slack and email implement, and what they are handed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from schemas.alerts import Alert, AlertMessage
from services.alerts.channels.outcome import SendOutcome


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
    """Sends one notification to its target and says how it went."""

    async def send(self, notification: Notification) -> SendOutcome:
        """One attempt: delivered, or failed (permanently or to be retried)."""
        ...
