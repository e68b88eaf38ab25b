"""/docs on ingest, scorer and alerts: Swagger UI served by the service itself, nothing from a
CDN."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.alerts.app import create_app as alerts_app
from services.ingest.app import create_app as ingest_app
from services.scorer.app import create_app as scorer_app
from services.settings import Settings
from tests.support.live_app import live_app
from tests.support.programs import program
from tests.support.sinks import MemorySink

REFERENCE = re.compile(r"""(?:src|href)=["']([^"']+)["']|url:\s*["']([^"']+)["']""")


def app_named(name: str, data_dir: Path) -> FastAPI:
    """The ingest, scorer or alerts app, without Kafka (the scorer's worker starts with the
    server but nothing here needs it)."""
    settings = Settings(data_dir=data_dir)
    if name == "ingest":
        return ingest_app(settings, sink=MemorySink())
    if name == "scorer":
        return scorer_app(settings)
    return alerts_app(settings, background=False)


@pytest.mark.parametrize("service", ["ingest", "scorer", "alerts"])
def test_docs_load_swagger_ui_from_the_service_itself(service: str, tmp_path: Path) -> None:
    with live_app(app_named(service, tmp_path)) as url:
        page = httpx.get(f"{url}/docs")
        assert page.status_code == 200
        assert not re.search(r"https?://", page.text), "the page names an outside address"
        references = [a or b for a, b in REFERENCE.findall(page.text)]
        assert {r.rsplit("/", 1)[-1] for r in references} >= {
            "swagger-ui-bundle.js", "swagger-ui.css", "openapi.json",
        }  # fmt: skip
        for reference in references:
            answer = httpx.get(url + reference)
            assert answer.status_code == 200, reference
            assert answer.content
        assert "SwaggerUIBundle" in httpx.get(f"{url}/docs/assets/swagger-ui-bundle.js").text


def test_only_swagger_files_are_served_under_docs_assets(tmp_path: Path) -> None:
    with live_app(app_named("ingest", tmp_path)) as url:
        assert httpx.get(f"{url}/docs/assets/index.html").status_code == 404
        assert httpx.get(f"{url}/docs/assets/..%2F__init__.py").status_code == 404
        assert httpx.get(f"{url}/redoc").status_code == 404


@pytest.fixture(scope="module")
def chromium() -> str:
    return program("chromium", "chromium")


def rendered(chromium: str, url: str, profile: Path) -> str:
    """The page's DOM after its scripts ran, in headless Chromium that reaches nothing else."""
    shown = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=10000",
         "--dump-dom", url],
        capture_output=True, text=True, timeout=90, check=True,
    )  # fmt: skip
    return shown.stdout


@pytest.mark.parametrize(("service", "path"), [("ingest", "/v1/events"), ("alerts", "/v1/alerts")])
def test_a_browser_renders_every_operation_of_the_openapi_document(
    chromium: str, service: str, path: str, tmp_path: Path
) -> None:
    """FastAPI writes OpenAPI 3.1: a Swagger UI that cannot read it shows only an error."""
    with live_app(app_named(service, tmp_path / "data")) as url:
        page = rendered(chromium, f"{url}/docs", tmp_path / "profile")
    assert "Unable to render this definition" not in page
    assert f'data-path="{path}"' in page
