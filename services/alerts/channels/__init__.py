"""Alert channels behind one Channel interface (base.py): signed webhooks, Slack and email."""

from __future__ import annotations

from services.alerts.channels.base import Channel
from services.alerts.channels.email import DigestChannel, EmailChannel
from services.alerts.channels.slack import SlackChannel
from services.alerts.channels.webhook import WebhookChannel

CHANNELS: dict[str, type[Channel]] = {
    c.name: c for c in (WebhookChannel, SlackChannel, EmailChannel, DigestChannel)
}
"""Every channel by its name, for the outbox to ask how its notifications are scheduled."""
