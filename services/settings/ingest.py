"""What ingest reads: its address, the sources' secrets and the limits on events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, PositiveFloat, SecretStr, field_validator
from pydantic_settings import NoDecode

from services.settings.base import HealthmonSettings, split_csv


class IngestSettings(HealthmonSettings):
    """The ingest API's address, producer, sources and event limits."""

    ingest_host: str = Field("127.0.0.1", description="Address the ingest API binds.")
    ingest_port: int = Field(8000, description="Port of the ingest API.")
    ingest_producer: Literal["confluent", "aiokafka"] = Field(
        "confluent",
        description="Kafka client ingest produces with (confluent-kafka measured ~2x faster "
        "in bench/ingest.py).",
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
    webhook_signature_tolerance_s: PositiveFloat = Field(
        300.0, description="Largest age of a signed Stripe or Zendesk webhook request."
    )
    max_event_bytes: int = Field(
        65_536,
        ge=1024,
        description="Largest event ingest produces, encoded (must stay under the broker's "
        "message size, 1 MB by default).",
    )
    event_earliest: AwareDatetime = Field(
        datetime(2000, 1, 1, tzinfo=UTC), description="Earliest event time ingest accepts."
    )

    @field_validator("stripe_webhook_secrets", "zendesk_webhook_secrets", mode="before")
    @classmethod
    def _csv_ingest(cls, value: object) -> object:
        return split_csv(value)

    def secrets_of(self, provider: Literal["stripe", "zendesk"]) -> list[str]:
        """A webhook provider's signing secrets as plain strings."""
        given = (
            self.stripe_webhook_secrets if provider == "stripe" else self.zendesk_webhook_secrets
        )
        return [s.get_secret_value() for s in given]
