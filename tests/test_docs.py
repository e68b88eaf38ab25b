"""The README documents every setting, and CI runs exactly the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_every_setting_is_in_the_configuration_table(name: str) -> None:
    var = f"HEALTHMON_{name.upper()}"
    shorthand = var.endswith("_PORT") and f"`{var[:-5]}_HOST` / `_PORT`" in README
    assert f"`{var}`" in README or shorthand, f"{var} is missing from the README's table"


def test_ci_runs_the_readmes_test_command() -> None:
    commands = re.findall(r"^(python3 -m venv .+)$", README, re.M)
    assert len(commands) == 2, "the README gives exactly two commands for a fresh machine"
    assert commands[1] in (ROOT / ".ci" / "run").read_text().splitlines()
