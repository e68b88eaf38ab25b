"""The commands that run a service: `ingest`, `scorer` and `alerts` (with `alerts list`)."""

from __future__ import annotations

from typing import Annotated

import typer

from services.cli.running import Host, Port, load_settings
from services.kafka.topics import ensure_topics

commands = typer.Typer()


@commands.command()
def ingest(host: Host = None, port: Port = None) -> None:
    """Run the ingest HTTP API."""
    from services.ingest.app import create_app
    from services.web.server import serve

    settings = load_settings(service=True, ingest_host=host, ingest_port=port)
    app = create_app(settings)  # settings checked before any connection
    ensure_topics(settings)
    serve(app, settings.ingest_host, settings.ingest_port, settings.log_level)


@commands.command()
def scorer(host: Host = None, port: Port = None) -> None:
    """Run a scorer worker (start several to share the partitions)."""
    from services.scorer.app import create_app
    from services.scorer.changelog import CHANGELOG
    from services.scorer.model import load_model
    from services.scorer.worker import tune_gc
    from services.web.server import serve

    settings = load_settings(service=True, scorer_host=host, scorer_port=port)
    app = create_app(settings, load_model(settings.model_file))  # a bad model fails at once
    ensure_topics(settings, extra=[CHANGELOG])
    tune_gc()
    serve(app, settings.scorer_host, settings.scorer_port, settings.log_level)


alerts_cli = typer.Typer(
    help="Run the alerts service (no subcommand), or list alerts (`alerts list`).",
    invoke_without_command=True,
)
commands.add_typer(alerts_cli, name="alerts")


@alerts_cli.callback()
def alerts(ctx: typer.Context, host: Host = None, port: Port = None) -> None:
    """Run the alerts service: API, workspace pages, change consumer and webhook delivery."""
    from services.web.server import serve

    if ctx.invoked_subcommand is not None:
        return
    from services.alerts.app import create_app

    settings = load_settings(service=True, alerts_host=host, alerts_port=port)
    app = create_app(settings)  # settings checked before any connection
    ensure_topics(settings)
    serve(app, settings.alerts_host, settings.alerts_port, settings.log_level)


@alerts_cli.command("list")
def alerts_list(
    status: Annotated[
        str, typer.Option(help="active (default: open, acknowledged, snoozed), open, "
                          "acknowledged, snoozed, resolved or all.")
    ] = "active",
    owner: Annotated[str | None, typer.Option(help="Only this CSM's (email).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 30,
) -> None:  # fmt: skip
    """List alerts, open first, with their status, band, score and title."""
    from rich.console import Console
    from rich.table import Table

    from services.alerts.web.filters import STATUSES
    from services.alerts.web.queries import AccountFilter, inbox
    from services.db.sql import Database

    if status not in STATUSES:
        raise typer.BadParameter(f"one of {', '.join(STATUSES)}", param_hint="--status")
    where = AccountFilter(owner=owner, status=None if status == "all" else status)
    with Database(load_settings().sqlalchemy_url).sessions()() as session:
        found = inbox(session, where, 1, size=max(1, limit))
    table = Table("alert", "account", "status", "band", "score", "severity", "title",
                  title=f"{found.total} alert(s) ({status})")  # fmt: skip
    for line in found.items:
        a = line.alert
        score = "-" if a.score is None else f"{a.score:.0f}"
        table.add_row(a.id, a.account_id, a.status, a.band, score, a.severity, a.title)
    Console(width=200).print(table)
