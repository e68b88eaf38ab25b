"""The `healthmon` command run as a user runs it: fast one-line failures, quiet logs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from services.local.ports import free_port
from tests.support.cli import healthmon

DEFAULT_MODEL = str(Path(__file__).parents[2] / "services/scorer/model/default.toml")
NEEDS_KAFKA = {
    "topics": ["topics"],
    "ingest": ["ingest"],
    "scorer": ["scorer"],
    "alerts": ["alerts"],
    "replay": ["replay", "--model", DEFAULT_MODEL],
    "replay-shadow": ["replay", "--model", DEFAULT_MODEL, "--shadow"],
    "up": ["up"],  # with a broker of its own only when none is configured
}


def problems(stderr: str) -> list[str]:
    """What a command printed on stderr but the warnings a service logs about its settings."""
    return [line for line in stderr.splitlines() if " WARNING " not in line]


@pytest.mark.parametrize("command", NEEDS_KAFKA.values(), ids=NEEDS_KAFKA.keys())
def test_a_command_that_needs_kafka_says_in_one_line_within_10s_that_no_broker_answers(
    tmp_path: Path, command: list[str]
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    began = time.monotonic()
    done = healthmon(tmp_path, *command, env={"HEALTHMON_KAFKA_BOOTSTRAP_SERVERS": nowhere})
    assert time.monotonic() - began < 10
    assert done.returncode == 2
    assert problems(done.stderr) == [
        f"error: no Kafka broker reachable at {nowhere} within 4s (KafkaTimeoutError); check "
        "HEALTHMON_KAFKA_BOOTSTRAP_SERVERS or start one with `healthmon broker`"
    ]


@pytest.mark.parametrize("command", ["scorer", "up"])
def test_a_bad_model_file_is_reported_at_once_before_any_broker_is_reached_or_started(
    tmp_path: Path, command: str
) -> None:
    model = tmp_path / "model.toml"
    model.write_text('version = "x"\n[bands]\nredd = 3\n')
    listening = free_port()  # nothing there: a connection attempt would take seconds
    env = {"HEALTHMON_MODEL_FILE": str(model)}
    if command == "scorer":
        env["HEALTHMON_KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{listening}"
    began = time.monotonic()
    done = healthmon(tmp_path / "state", command, env=env)
    assert time.monotonic() - began < 4
    assert done.returncode == 2
    assert done.stderr.startswith("error: invalid model file"), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "state" / "broker").exists(), "`up` started a broker first"


def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    done = healthmon(tmp_path, "scorer", env={"HEALTHMON_MODEL_FILE": str(missing)})
    assert done.returncode == 2
    assert problems(done.stderr) == [
        f"error: cannot read model file {missing}: [Errno 2] No such file or directory: '{missing}'"
    ]


def test_invalid_settings_are_one_line_naming_the_variable(tmp_path: Path) -> None:
    done = healthmon(tmp_path, "ingest", env={"HEALTHMON_INGEST_PORT": "eighty"})
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: invalid settings: HEALTHMON_INGEST_PORT: Input should be a valid integer, "
        "unable to parse string as an integer"
    ]


def test_commands_log_nothing_routine_unless_verbose(tmp_path: Path) -> None:
    quiet = healthmon(tmp_path, "db", "upgrade")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert "at revision" in quiet.stdout
    verbose = healthmon(tmp_path, "--verbose", "db", "upgrade")
    assert verbose.returncode == 0
    assert "INFO alembic" in verbose.stderr
