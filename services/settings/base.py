"""What every service reads: the environment's prefix, local state, the database, API keys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    SecretStr,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def split_csv(value: object) -> object:
    """Accept `a,b,c` from the environment as well as a real list."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class HealthmonSettings(BaseSettings):
    """Base of every settings class: each field is `HEALTHMON_<NAME>` in the environment."""

    # an empty variable means the default (deploy/compose.yaml passes every setting, set or not)
    model_config = SettingsConfigDict(
        env_prefix="HEALTHMON_", extra="ignore", env_ignore_empty=True
    )


class SharedSettings(HealthmonSettings):
    """Settings more than one service reads: local state, the database, API keys, limits."""

    data_dir: Path = Field(Path(".healthmon"), description="Where local state lives.")
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
    rate_limit_per_s: NonNegativeFloat = Field(
        500.0, description="Requests per second each API key may make on average (0: no limit)."
    )
    rate_limit_burst: float = Field(
        1000.0, ge=1, description="Requests an API key may make at once before the rate applies."
    )
    auth_failure_limit: NonNegativeInt = Field(
        20,
        description="Failed authentications one client address may make at once before its "
        "requests get 429 (0: no limit).",
    )
    auth_failure_window_s: PositiveFloat = Field(
        60.0, description="Window over which a client address regains its failed authentications."
    )
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest accepted request body.")
    event_max_future_s: NonNegativeFloat = Field(
        300.0,
        description="How far past its arrival an event time may lie (clock skew): ingest refuses "
        "later ones, the scorer dead-letters them (stage future).",
    )
    log_level: str = Field("info", description="Log level of every service.")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _csv_shared(cls, value: object) -> object:
        return split_csv(value)

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to a SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'healthmon.db').resolve()}"

    def api_key_values(self) -> frozenset[str]:
        """The configured keys as plain strings, for comparison."""
        return frozenset(k.get_secret_value() for k in self.api_keys)
