"""Configuration for every healthmon service, read from `HEALTHMON_*` environment variables."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AwareDatetime, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from services.alerts.channels.email import SmtpConfig
    from services.alerts.lifecycle import Policy

DEFAULT_RETRY_SCHEDULE = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


def _split_csv(value: object) -> object:
    """Accept `a,b,c` from the environment as well as a real list."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """All settings; every field is `HEALTHMON_<NAME>` in the environment."""

    # an empty variable means the default (deploy/compose.yaml passes every setting, set or not)
    model_config = SettingsConfigDict(
        env_prefix="HEALTHMON_", extra="ignore", env_ignore_empty=True
    )

    data_dir: Path = Field(Path(".healthmon"), description="Where local state lives.")
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated."
    )
    topic_prefix: str = Field("", description="Prefix put before every topic name.")
    topic_partitions: int = Field(4, ge=1, description="Partitions of topics created at start.")
    topic_replication_factor: int = Field(1, ge=1, description="Replication of created topics.")
    kafka_rebalance_timeout_s: float = Field(
        60.0, gt=0, description="Consumer-group rebalance timeout (short for local brokers)."
    )
    broker_engine: Literal["noida", "tansu"] = Field(
        "noida", description="Local broker started by `healthmon up` and `healthmon broker`."
    )
    broker_port: int = Field(9092, description="Port of the local broker (next free if taken).")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database of API keys and alerts (default: SQLite).",
    )
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="Bearer API keys with every scope, comma-separated."
    )
    rate_limit_per_s: float = Field(
        500.0,
        ge=0,
        description="Requests per second each API key may make on average (0: no limit).",
    )
    rate_limit_burst: float = Field(
        1000.0, ge=1, description="Requests an API key may make at once before the rate applies."
    )
    segment_account_property: str = Field(
        "account_id",
        description="Segment property (track, page) or trait (identify) naming the account when "
        "a call has no context.groupId.",
    )
    stripe_webhook_secrets: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Stripe webhook signing secrets (whsec_...), comma-separated; several during "
        "a rotation.",
    )
    stripe_account_metadata_key: str = Field(
        "account_id",
        description="Metadata key on Stripe customers and subscriptions holding the account id.",
    )
    zendesk_webhook_secrets: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Zendesk webhook signing secrets, comma-separated; several during a rotation.",
    )
    webhook_signature_tolerance_s: float = Field(
        300.0, gt=0, description="Largest age of a signed Stripe or Zendesk webhook request."
    )
    ingest_producer: Literal["confluent", "aiokafka"] = Field(
        "confluent",
        description="Kafka client ingest produces with (confluent-kafka measured ~2x faster "
        "in bench/ingest.py).",
    )
    ingest_host: str = Field("127.0.0.1", description="Address the ingest API binds.")
    ingest_port: int = Field(8000, description="Port of the ingest API.")
    alerts_host: str = Field("127.0.0.1", description="Address the alerts API binds.")
    alerts_port: int = Field(8001, description="Port of the alerts API.")
    scorer_host: str = Field("127.0.0.1", description="Address of the scorer's web/metrics port.")
    scorer_port: int = Field(6066, description="Port of the scorer's web/metrics endpoint.")
    scorer_batch_size: int = Field(
        5000,
        ge=1,
        description="Most events scored in one batch (one commit, one state write per account).",
    )
    scorer_batch_wait_s: float = Field(
        0.05, gt=0, description="Longest wait for a batch to fill before it is scored."
    )
    scorer_evaluate_interval_s: float = Field(
        60.0, gt=0, description="How often quiet accounts and sources are re-evaluated."
    )
    scorer_instance_id: str | None = Field(
        None,
        description="Static group membership id of this scorer worker: a restarted worker with "
        "the same id takes its partitions back at once.",
    )
    alerts_instance_id: str | None = Field(
        None,
        description="Static group membership id of this alerts process (default: "
        "alerts-<host name>-<alerts port>): a restarted process with the same id takes its "
        "partitions back at once.",
    )
    auth_failure_limit: int = Field(
        20,
        ge=0,
        description="Failed authentications one client address may make at once before its "
        "requests get 429 (0: no limit).",
    )
    auth_failure_window_s: float = Field(
        60.0,
        gt=0,
        description="Window over which a client address regains its failed authentications.",
    )
    model_file: Path | None = Field(
        None, description="Health model file (TOML); default: the model shipped with healthmon."
    )
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest accepted request body.")
    max_event_bytes: int = Field(
        65_536,
        ge=1024,
        description="Largest event ingest produces, encoded (must stay under the broker's "
        "message size, 1 MB by default).",
    )
    event_max_future_s: float = Field(
        300.0,
        ge=0,
        description="How far past its arrival an event time may lie (clock skew): ingest refuses "
        "later ones, the scorer dead-letters them (stage future).",
    )
    event_earliest: AwareDatetime = Field(
        datetime(2000, 1, 1, tzinfo=UTC), description="Earliest event time ingest accepts."
    )
    webhook_retry_schedule: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE),
        description="Seconds to wait before each delivery attempt, comma-separated.",
    )
    webhook_timeout_s: float = Field(
        10.0,
        gt=0,
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
    webhook_disable_after_s: float = Field(
        5 * 86400.0,
        gt=0,
        description="An endpoint failing every delivery for this long is disabled.",
    )
    webhook_secret_overlap_s: float = Field(
        86400.0,
        ge=0,
        description="After a secret rotation, how long messages are also signed with the old one.",
    )
    alerts_digest_hour_utc: int = Field(
        8, ge=0, le=23, description="Hour (UTC) daily digests go out, for digest routes."
    )
    alerts_resolve_band: Literal["green", "yellow"] = Field(
        "green", description="An alert resolves itself when its account recovers to this band."
    )
    alerts_reopen_window_s: float = Field(
        86400.0,
        ge=0,
        description="A new risk within this many seconds of an alert's end reopens that alert "
        "(notifying only if worse) instead of raising another.",
    )
    delivery_poll_s: float = Field(
        5.0,
        gt=0,
        description="Longest sleep of a delivery worker between looks at the outbox; it wakes "
        "sooner for alerts written in its process, sends ending and deliveries falling due.",
    )
    log_level: str = Field("info", description="Log level of every service.")

    @field_validator(
        "api_keys",
        "stripe_webhook_secrets",
        "zendesk_webhook_secrets",
        "webhook_retry_schedule",
        "webhook_allow_networks",
        "secret_keys",
        mode="before",
    )
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _non_negative(cls, value: list[float]) -> list[float]:
        if not value or any(v < 0 for v in value):
            raise ValueError("needs one or more non-negative numbers of seconds")
        return value

    @cached_property
    def bootstrap_list(self) -> list[str]:
        """Bootstrap servers as a list."""
        return [s.strip() for s in self.kafka_bootstrap_servers.split(",") if s.strip()]

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to a SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'healthmon.db').resolve()}"

    @property
    def alerts_group_instance_id(self) -> str:
        """The alerts consumer's static membership id: set, or this host's and port's."""
        return self.alerts_instance_id or f"alerts-{socket.gethostname()}-{self.alerts_port}"

    def api_key_values(self) -> frozenset[str]:
        """The configured keys as plain strings, for comparison."""
        return frozenset(k.get_secret_value() for k in self.api_keys)

    def smtp(self) -> SmtpConfig | None:
        """The SMTP server's configuration, None when email is off."""
        from services.alerts.channels.email import SmtpConfig

        if self.smtp_host is None:
            return None
        password = None if self.smtp_password is None else self.smtp_password.get_secret_value()
        return SmtpConfig(
            self.smtp_host, self.smtp_port, self.smtp_security, self.smtp_username, password,
            self.smtp_sender, self.webhook_timeout_s,
        )  # fmt: skip

    def alert_policy(self) -> Policy:
        """When alerts resolve and reopen."""
        from services.alerts.lifecycle import Policy

        return Policy(self.alerts_resolve_band, timedelta(seconds=self.alerts_reopen_window_s))

    def secrets_of(self, provider: Literal["stripe", "zendesk"]) -> list[str]:
        """A webhook provider's signing secrets as plain strings."""
        given = (
            self.stripe_webhook_secrets if provider == "stripe" else self.zendesk_webhook_secrets
        )
        return [s.get_secret_value() for s in given]
