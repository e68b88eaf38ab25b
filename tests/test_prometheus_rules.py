"""The shipped Prometheus rules load, and their unit tests (rules.test.yml) pass, in promtool."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

RULES = Path(__file__).parent.parent / "deploy" / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


def run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], cwd=RULES, capture_output=True, text=True, timeout=60)


def test_the_rules_load(promtool: str) -> None:
    checked = run(promtool, "check", "rules", "rules.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_rules_fire_as_their_unit_tests_expect(promtool: str) -> None:
    tested = run(promtool, "test", "rules", "rules.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
