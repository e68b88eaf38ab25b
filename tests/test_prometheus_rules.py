"""The shipped Prometheus config and rules load in promtool, and every alert has a unit test
(rules.test.yml) in which it fires."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.metrics import exported, queried
from tests.support.programs import program

RULES = Path(__file__).parent.parent / "deploy" / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    return program("promtool", "prometheus")


def run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], cwd=RULES, capture_output=True, text=True, timeout=60)


def test_the_config_and_its_rules_load(promtool: str) -> None:
    checked = run(promtool, "check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_alert_has_a_unit_test_in_which_it_fires() -> None:
    rules = yaml.safe_load((RULES / "rules.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((RULES / "rules.test.yml").read_text())["tests"]
    firing = {
        check["alertname"]
        for test in tests
        for check in test["alert_rule_test"]
        if check["exp_alerts"]
    }
    assert alerts - firing == set()


def test_the_rules_fire_as_their_unit_tests_expect(promtool: str) -> None:
    tested = run(promtool, "test", "rules", "rules.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_metric_a_rule_reads_is_exported() -> None:
    rules = yaml.safe_load((RULES / "rules.yml").read_text())
    names = {
        n for group in rules["groups"] for rule in group["rules"] for n in queried(rule["expr"])
    }
    assert names
    assert names - exported() == set()
