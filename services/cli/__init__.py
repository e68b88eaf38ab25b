"""The `healthmon` command: its typer app, built from the command groups beside it, and `main`."""

from __future__ import annotations

from typing import Annotated

import typer

from services.cli import backtest, database, keys, local, mappings, replay, running, serve

cli = typer.Typer(
    help="healthmon: real-time customer health from product, support and billing events.",
    no_args_is_help=True,
    add_completion=False,
)


@cli.callback()
def options(
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Log everything (debug lines, migrations, Kafka)."),
    ] = False,
) -> None:
    """healthmon: real-time customer health from product, support and billing events."""
    running.verbose = verbose


for group in (local, serve, keys, mappings, database, replay, backtest):
    cli.add_typer(group.commands)


def main() -> None:
    """Entry point of the `healthmon` script."""
    running.run_reporting(cli)
