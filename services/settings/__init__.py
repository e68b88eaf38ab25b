"""Configuration of every healthmon service, read from `HEALTHMON_*` environment variables:
each service's settings in its own class, composed into one."""

from __future__ import annotations

from services.settings.alerts import DEFAULT_RETRY_SCHEDULE, AlertsSettings
from services.settings.base import SharedSettings
from services.settings.ingest import IngestSettings
from services.settings.kafka import KafkaSettings
from services.settings.scorer import ScorerSettings

__all__ = [
    "DEFAULT_RETRY_SCHEDULE",
    "AlertsSettings",
    "IngestSettings",
    "KafkaSettings",
    "ScorerSettings",
    "Settings",
    "SharedSettings",
]


class Settings(AlertsSettings, ScorerSettings, IngestSettings, KafkaSettings, SharedSettings):
    """All settings; every field is `HEALTHMON_<NAME>` in the environment."""
