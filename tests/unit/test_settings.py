"""Settings from HEALTHMON_* variables."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.settings import DEFAULT_RETRY_SCHEDULE, Settings


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
