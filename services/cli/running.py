"""How a `healthmon` command reads its settings, logs, and reports what the user must fix."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from services.kafka.topics import BrokerUnreachable, TopicLayoutError
from services.local.broker import BrokerError
from services.scorer.model import ModelFileError
from services.settings import Settings

QUIET_LOGGERS = {
    "alembic": logging.WARNING,
    "httpx": logging.WARNING,
    # kafka-python only serves the commands' admin calls, whose failures they report themselves
    "kafka": logging.CRITICAL,
}
"""Libraries whose routine lines (migrations run, connection attempts) only --verbose shows."""


class SettingsError(ValueError):
    """The HEALTHMON_ variables or flags do not make valid settings."""


USER_ERRORS: tuple[type[Exception], ...] = (
    SettingsError, ModelFileError, BrokerUnreachable, BrokerError, TopicLayoutError,
)  # fmt: skip
"""Failures the user must fix, reported as an `error:` line rather than a traceback."""
verbose = False
"""Set by `healthmon --verbose`."""

Host = Annotated[str | None, typer.Option(help="Address to bind (default from settings).")]
Port = Annotated[int | None, typer.Option(help="Port to listen on (default from settings).")]


def load_settings(service: bool = False, **overrides: Any) -> Settings:
    """Settings from the environment, flags taking precedence; logging set up for a `service`
    (at HEALTHMON_LOG_LEVEL) or a one-shot command (warnings only)."""
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise SettingsError(settings_problem(exc)) from exc
    configure_logging(settings.log_level if service else "warning", verbose)
    return settings


def configure_logging(level: str, verbose: bool) -> None:
    """Log at `level` (DEBUG with `verbose`), keeping the chatty libraries quiet unless verbose."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(logging.INFO if verbose else quiet)


def settings_problem(exc: ValidationError) -> str:
    """A settings validation error as one line naming each variable and what is wrong."""
    parts = [f"HEALTHMON_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()]
    return "invalid settings: " + "; ".join(parts)


def run_reporting(command: Callable[[], object]) -> None:
    """Run `command`; exit 2 with one `error:` line on stderr for a failure the user must fix."""
    try:
        command()
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
