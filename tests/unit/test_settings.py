"""Settings from HEALTHMON_* variables."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.settings import (
    DEFAULT_RETRY_SCHEDULE,
    AlertsSettings,
    IngestSettings,
    KafkaSettings,
    ScorerSettings,
    Settings,
    SharedSettings,
)

PARTS = (SharedSettings, KafkaSettings, IngestSettings, ScorerSettings, AlertsSettings)


def test_defaults_need_no_environment() -> None:
    settings = Settings()
    assert settings.bootstrap_list == ["127.0.0.1:9092"]
    assert settings.webhook_retry_schedule == list(DEFAULT_RETRY_SCHEDULE)
    assert settings.sqlalchemy_url.startswith("sqlite:///") and settings.sqlalchemy_url.endswith(
        "healthmon.db"
    )


def test_lists_come_comma_separated_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTHMON_API_KEYS", "secret-a, secret-b")
    monkeypatch.setenv("HEALTHMON_WEBHOOK_RETRY_SCHEDULE", "0,0.5,2")
    monkeypatch.setenv("HEALTHMON_KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    settings = Settings()
    assert settings.api_key_values() == {"secret-a", "secret-b"}
    assert "secret-a" not in repr(settings)
    assert settings.webhook_retry_schedule == [0, 0.5, 2]
    assert settings.bootstrap_list == ["k1:9092", "k2:9092"]


def test_a_negative_retry_delay_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTHMON_WEBHOOK_RETRY_SCHEDULE", "0,-5")
    with pytest.raises(ValidationError, match="webhook_retry_schedule"):
        Settings()


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    # deploy/compose.yaml passes every setting, empty when the operator sets none
    monkeypatch.setenv("HEALTHMON_SMTP_PORT", "")
    monkeypatch.setenv("HEALTHMON_WEBHOOK_RETRY_SCHEDULE", "")
    monkeypatch.setenv("HEALTHMON_MODEL_FILE", "")
    settings = Settings()
    assert settings.smtp_port == 25 and settings.model_file is None
    assert settings.webhook_retry_schedule == list(DEFAULT_RETRY_SCHEDULE)


def test_settings_are_the_services_settings_composed_without_overlap() -> None:
    names = [name for part in PARTS for name in part.model_fields]
    assert len(names) == len(set(names)), "a setting is declared by two services"
    assert set(names) == set(Settings.model_fields)


def test_a_service_reads_its_own_settings_from_the_same_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEALTHMON_SCORER_BATCH_SIZE", "7")
    monkeypatch.setenv("HEALTHMON_STRIPE_WEBHOOK_SECRETS", "whsec_a,whsec_b")
    monkeypatch.setenv("HEALTHMON_TOPIC_PREFIX", "staging.")
    assert ScorerSettings().scorer_batch_size == Settings().scorer_batch_size == 7
    assert IngestSettings().secrets_of("stripe") == Settings().secrets_of("stripe")
    assert KafkaSettings().topic_prefix == "staging."
    assert "smtp_host" not in ScorerSettings.model_fields
