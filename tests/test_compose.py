"""deploy/compose.yaml, read as Compose reads it: every setting can be passed, the schema is
migrated once before the services start, the scorer scales, images are pinned."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.settings import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
HEALTHMON = ("topics", "migrate", "ingest", "scorer", "alerts")
SERVICES = ("ingest", "scorer", "alerts")
PARTS = ("HOST", "PORT")
NOT_PASSED = {
    "HEALTHMON_BROKER_ENGINE": "the local broker of `healthmon up`",
    "HEALTHMON_BROKER_PORT": "the local broker of `healthmon up`",
    "HEALTHMON_SCORER_INSTANCE_ID": "scaled scorers must not share a static member id",
}
REQUIRED = {"HEALTHMON_API_KEYS": "key-1", "HEALTHMON_SECRET_KEYS": "x" * 43 + "="}
VARIABLE = re.compile(r"\$\{(\w+)(?:(:[-?])([^${}]*))?\}")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def interpolate(value: str, shell: dict[str, str]) -> str:
    """`value` with ${VAR}, ${VAR:-default} and ${VAR:?error} resolved as Compose does."""

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if shell.get(name):
            return shell[name]
        if kind == ":?":
            raise LookupError(rest)
        return rest or ""

    while VARIABLE.search(value):
        value = VARIABLE.sub(one, value)
    return value


def environment(service: str, shell: dict[str, str]) -> dict[str, str]:
    """The environment a healthmon container gets from `shell` (and no deploy/.env)."""
    given = compose()["services"][service]["environment"]
    return {name: interpolate(str(value), shell) for name, value in given.items()}


def setting_variables() -> set[str]:
    return {"HEALTHMON_" + name.upper() for name in Settings.model_fields}


@pytest.mark.parametrize("service", HEALTHMON)
def test_every_setting_reaches_every_healthmon_container(service: str) -> None:
    given = compose()["services"][service]["environment"]
    assert set(given) <= setting_variables()  # no misspelt name
    others = {f"HEALTHMON_{s.upper()}_{part}" for s in SERVICES if s != service for part in PARTS}
    assert setting_variables() - set(given) - others == set(NOT_PASSED)
    for name, value in given.items():
        # what the operator sets under the setting's own name reaches the container
        if "${" in str(value):
            assert f"${{{name}:" in str(value) or name == "HEALTHMON_DATA_DIR", name
    passed = {name: "" for name in given if "${" + name in str(given[name])}
    shell = REQUIRED | {
        "HEALTHMON_SMTP_HOST": "mail.example.com",
        "HEALTHMON_STRIPE_WEBHOOK_SECRETS": "whsec_1",
        "HEALTHMON_ZENDESK_WEBHOOK_SECRETS": "zd-1",
        "HEALTHMON_ROUTES_FILE": "/etc/healthmon/routes.toml",
        "HEALTHMON_MODEL_FILE": "/etc/healthmon/model.toml",
    }
    assert passed.keys() >= shell.keys()
    settings = Settings()  # the defaults, to compare with
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment(service, shell).items():
            patch.setenv(name, value)
        loaded = Settings()
    assert loaded.smtp_host == "mail.example.com"
    assert loaded.secrets_of("stripe") == ["whsec_1"] and loaded.secrets_of("zendesk") == ["zd-1"]
    assert loaded.routes_file == Path("/etc/healthmon/routes.toml")
    assert loaded.model_file == Path("/etc/healthmon/model.toml")
    # unset ones (empty in the container) mean the defaults
    assert loaded.smtp_port == settings.smtp_port
    assert loaded.webhook_retry_schedule == settings.webhook_retry_schedule
    assert loaded.sqlalchemy_url.startswith("postgresql+psycopg://healthmon:healthmon@postgres")


def test_the_keys_are_required() -> None:
    for name in REQUIRED:
        with pytest.raises(LookupError):
            environment("alerts", {k: v for k, v in REQUIRED.items() if k != name})


def test_a_one_shot_migration_runs_before_the_services() -> None:
    services = compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["db", "upgrade"] and migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in SERVICES:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["topics"]["condition"] == "service_completed_successfully"


def test_the_scorer_scales() -> None:
    services = compose()["services"]
    assert not any("container_name" in service for service in services.values())
    scorer = services["scorer"]
    assert "ports" not in scorer and "hostname" not in scorer
    assert "HEALTHMON_SCORER_INSTANCE_ID" not in scorer["environment"]
    prometheus = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    [job] = [j for j in prometheus["scrape_configs"] if j["job_name"] == "healthmon-scorer"]
    assert job["dns_sd_configs"] == [
        {"names": ["scorer"], "type": "A", "port": 6066, "refresh_interval": "30s"}
    ]  # every replica is scraped


def test_images_are_pinned_to_exact_releases() -> None:
    pinned = re.compile(r"^[\w./-]+:v?\d+\.\d+(\.\d+)?(-[\w.]+)?(@sha256:[0-9a-f]{64})?$")
    for name, service in compose()["services"].items():
        if name in HEALTHMON:
            assert service["image"] == "healthmon:${HEALTHMON_IMAGE_TAG:-local}"
        else:
            assert pinned.match(service["image"]), service["image"]
