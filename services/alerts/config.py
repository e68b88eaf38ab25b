"""The alerts service's objects made from its settings: SMTP server, alert policy, outbox timing,
the channels."""

from __future__ import annotations

from datetime import timedelta

import httpx

from services.alerts.channels.base import Channel, Delivering
from services.alerts.channels.email import DigestChannel, EmailChannel, SmtpConfig
from services.alerts.channels.slack import SlackChannel, SlackSender
from services.alerts.channels.webhook import WebhookChannel
from services.alerts.lifecycle import Policy
from services.settings import AlertsSettings


def smtp_config(settings: AlertsSettings) -> SmtpConfig | None:
    """The SMTP server's configuration, None when email is off."""
    if settings.smtp_host is None:
        return None
    password = None if settings.smtp_password is None else settings.smtp_password.get_secret_value()
    return SmtpConfig(
        settings.smtp_host, settings.smtp_port, settings.smtp_security, settings.smtp_username,
        password, settings.smtp_sender, settings.webhook_timeout_s,
    )  # fmt: skip


def alert_policy(settings: AlertsSettings) -> Policy:
    """When alerts resolve and reopen."""
    return Policy(settings.alerts_resolve_band, timedelta(seconds=settings.alerts_reopen_window_s))


def delivering_of(settings: AlertsSettings) -> Delivering:
    """How the deployment's settings have notifications delivered."""
    return Delivering(
        settings.webhook_retry_schedule[0],
        settings.smtp_host is not None,
        settings.alerts_digest_hour_utc,
    )


def channels_of(settings: AlertsSettings, client: httpx.AsyncClient) -> dict[str, Channel]:
    """The channels the deployment sends through, by name, sending with `client`: email and the
    digest only with an SMTP server."""
    slack = SlackSender(client, timeout_s=settings.webhook_timeout_s)
    channels: list[Channel] = [
        WebhookChannel(client, settings.webhook_timeout_s),
        SlackChannel(slack, settings.public_url),
    ]
    smtp = smtp_config(settings)
    if smtp is not None:
        channels += [
            EmailChannel(smtp, settings.public_url),
            DigestChannel(smtp, settings.public_url),
        ]
    return {channel.name: channel for channel in channels}
