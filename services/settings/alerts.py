"""What the alerts service reads: its address, delivery, channels and the alert lifecycle."""

from __future__ import annotations

import socket
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, NonNegativeFloat, PositiveFloat, SecretStr, field_validator
from pydantic_settings import NoDecode

from services.settings.base import HealthmonSettings, split_csv

DEFAULT_RETRY_SCHEDULE = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


class AlertsSettings(HealthmonSettings):
    """The alerts API's address, webhook delivery, Slack and email, and when alerts end."""

    alerts_host: str = Field("127.0.0.1", description="Address the alerts API binds.")
    alerts_port: int = Field(8001, description="Port of the alerts API.")
    alerts_instance_id: str | None = Field(
        None,
        description="Static group membership id of this alerts process (default: "
        "alerts-<host name>-<alerts port>): a restarted process with the same id takes its "
        "partitions back at once.",
    )
    webhook_retry_schedule: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE),
        description="Seconds to wait before each delivery attempt, comma-separated.",
    )
    webhook_timeout_s: PositiveFloat = Field(
        10.0,
        description="Deadline of one webhook or Slack attempt, whole: connect, send and answer.",
    )
    webhook_allow_networks: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=list,
        description="Networks webhook and Slack URLs may reach although loopback, private, "
        "link-local or reserved (e.g. 127.0.0.0/8 for a local receiver), comma-separated.",
    )
    webhook_endpoint_concurrency: int = Field(
        4, ge=1, description="Most deliveries in flight to one destination at once."
    )
    secret_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Fernet keys encrypting webhook signing secrets at rest, comma-separated: "
        "the first encrypts, all decrypt. Required with a server database; with SQLite a key "
        "is generated in the data directory if none is given.",
    )
    public_url: str = Field(
        "http://127.0.0.1:8001",
        description="Base URL of the alerts API as people reach it (links in Slack and email).",
    )
    routes_file: Path | None = Field(
        None, description="TOML file of routes, kept in sync with the routes table at start."
    )
    smtp_host: str | None = Field(None, description="SMTP server; without it no email is sent.")
    smtp_port: int = Field(25, description="SMTP port (587 for STARTTLS, 465 for TLS).")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "none", description="SMTP transport security."
    )
    smtp_username: str | None = Field(None, description="SMTP login, if the server needs one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_sender: str = Field("healthmon@localhost", description="From address of alert email.")
    webhook_disable_after_s: PositiveFloat = Field(
        5 * 86400.0, description="An endpoint failing every delivery for this long is disabled."
    )
    webhook_secret_overlap_s: NonNegativeFloat = Field(
        86400.0,
        description="After a secret rotation, how long messages are also signed with the old one.",
    )
    alerts_digest_hour_utc: int = Field(
        8, ge=0, le=23, description="Hour (UTC) daily digests go out, for digest routes."
    )
    alerts_resolve_band: Literal["green", "yellow"] = Field(
        "green", description="An alert resolves itself when its account recovers to this band."
    )
    alerts_reopen_window_s: NonNegativeFloat = Field(
        86400.0,
        description="A new risk within this many seconds of an alert's end reopens that alert "
        "(notifying only if worse) instead of raising another.",
    )
    delivery_poll_s: PositiveFloat = Field(
        5.0,
        description="Longest sleep of a delivery worker between looks at the outbox; it wakes "
        "sooner for alerts written in its process, sends ending and deliveries falling due.",
    )

    @field_validator(
        "webhook_retry_schedule", "webhook_allow_networks", "secret_keys", mode="before"
    )
    @classmethod
    def _csv_alerts(cls, value: object) -> object:
        return split_csv(value)

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _non_negative(cls, value: list[float]) -> list[float]:
        if not value or any(v < 0 for v in value):
            raise ValueError("needs one or more non-negative numbers of seconds")
        return value

    @property
    def alerts_group_instance_id(self) -> str:
        """The alerts consumer's static membership id: set, or this host's and port's."""
        return self.alerts_instance_id or f"alerts-{socket.gethostname()}-{self.alerts_port}"
