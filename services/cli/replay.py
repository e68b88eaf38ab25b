"""`healthmon replay`: history recomputed from the input topics under a model file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from services.cli.running import load_settings
from services.kafka.topics import reach_broker

commands = typer.Typer()


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 date or time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@commands.command()
def replay(
    model: Annotated[Path, typer.Option(help="Health model file (TOML) to replay under.")],
    since: Annotated[
        str | None,
        typer.Option(
            help="Read input from this time on (ISO 8601, UTC unless given); needs --shadow."
        ),
    ] = None,
    shadow: Annotated[
        bool,
        typer.Option(help="Write changes to health-changes-shadow and leave live output alone."),
    ] = False,
) -> None:
    """Recompute history from the input topics under a model file and compare with live."""
    from rich.console import Console

    from services.scorer.model import ModelFileError, load_model
    from services.scorer.replay_run import ReplayError, run_replay

    console = Console()
    settings = load_settings()
    try:
        load_model(model)  # before any connection
        reach_broker(settings)
        run_replay(settings, model, _since(since), shadow, console)
    except (ReplayError, ModelFileError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
