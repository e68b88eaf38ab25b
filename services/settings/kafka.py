"""Where the Kafka brokers are and how the topics are laid out."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field, PositiveFloat

from services.settings.base import HealthmonSettings


class KafkaSettings(HealthmonSettings):
    """The brokers, the topic layout and the consumer groups' timing."""

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated."
    )
    topic_prefix: str = Field("", description="Prefix put before every topic name.")
    topic_partitions: int = Field(4, ge=1, description="Partitions of topics created at start.")
    topic_replication_factor: int = Field(1, ge=1, description="Replication of created topics.")
    kafka_rebalance_timeout_s: PositiveFloat = Field(
        60.0, description="Consumer-group rebalance timeout (short for local brokers)."
    )

    @cached_property
    def bootstrap_list(self) -> list[str]:
        """Bootstrap servers as a list."""
        return [s.strip() for s in self.kafka_bootstrap_servers.split(",") if s.strip()]
