"""The model file: validated at load with clear errors; profiles override the base."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.scorer.model import ModelFileError, default_model, load_model
from services.scorer.model.config import parse_model


def test_the_default_model_loads_with_a_version() -> None:
    model = default_model()
    assert model.version == "default-8"
    assert sum(model.base.weights.values()) == pytest.approx(1.0)


def test_profiles_apply_in_file_order_for_matching_accounts() -> None:
    model = default_model()
    assert model.spec_for(None, None) == model.base
    enterprise = model.spec_for("enterprise", "active")
    assert enterprise.weights["support"] == 0.3 and enterprise.changes.drop_points == 12
    onboarding_enterprise = model.spec_for("enterprise", "onboarding")
    assert onboarding_enterprise.usage.mode == "onboarding"
    assert onboarding_enterprise.weights == enterprise.weights
    assert model.spec_for("self_serve", None).weights["usage"] == 0.55


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version = ", "not valid TOML"),
        ("[base.bands]\ngreen = 70", "version: Field required"),
        (
            'version = "x"\n[base.bands]\ngreen = 30\nyellow = 50',
            "base.bands: Value error, yellow must be below green",
        ),
        (
            'version = "x"\n[base.usage]\nkey_feature = ["a"]',
            "base.usage.key_feature: Extra inputs are not permitted",
        ),
        ('version = "x"\n[base.weights]\nusage = -1', "weights must be non-negative"),
        (
            'version = "x"\n[base.changes]\ncritical_signals = ["meteor"]',
            "base.changes.critical_signals.0",
        ),
        (
            'version = "x"\n[[profiles]]\nname = "big"\nmatch = { segment = "enterprise" }\n'
            'overrides = { bands = { green = "high" } }',
            "profiles[0] (big).overrides.bands.green",
        ),
    ],
)
def test_invalid_model_files_say_where_and_why(text: str, expected: str) -> None:
    with pytest.raises(ModelFileError) as info:
        parse_model(text)
    assert expected in str(info.value)


def test_a_model_file_on_disk_is_loaded_and_a_missing_one_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "model.toml"
    path.write_text('version = "try-1"\n[base.changes]\ndrop_points = 5\n')
    model = load_model(path)
    assert (model.version, model.base.changes.drop_points) == ("try-1", 5)
    with pytest.raises(ModelFileError, match="cannot read model file"):
        load_model(tmp_path / "absent.toml")
