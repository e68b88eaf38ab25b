"""The commands of one machine: `up`, `broker`, `topics`, `status` and `receive-webhooks`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from services.cli.running import load_settings
from services.kafka.topics import ensure_topics
from services.local.broker import ENGINES, start_broker

commands = typer.Typer()

Demo = Annotated[bool, typer.Option(help="Also feed synthetic traffic for a few hundred accounts.")]
LocalEngine = Annotated[str | None, typer.Option(help="Local broker: noida (durable) or tansu.")]


@commands.command()
def up(
    demo: Demo = False,
    engine: LocalEngine = None,
    data_dir: Annotated[Path | None, typer.Option(help="Where local state lives.")] = None,
) -> None:
    """Run broker, ingest, scorer and alerts on this machine (Ctrl-C stops them)."""
    from services.local.up import run_all

    run_all(load_settings(broker_engine=engine, data_dir=data_dir), demo=demo)


@commands.command()
def broker(
    engine: Annotated[str, typer.Option(help=f"One of {', '.join(ENGINES)}.")] = "noida",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 9092,
    data_dir: Annotated[Path, typer.Option(help="Where a durable broker keeps its data.")] = Path(
        ".healthmon/broker"
    ),
) -> None:
    """Run a local Kafka-protocol broker in the foreground."""
    if engine not in ENGINES:
        raise typer.BadParameter(f"unknown engine {engine!r}; choose {' or '.join(ENGINES)}")
    running = start_broker(engine, port, data_dir)
    typer.echo(f"broker  kafka://{running.bootstrap}  ({engine}, data in {data_dir})")
    try:
        running.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


@commands.command()
def topics() -> None:
    """Create the topics that do not exist yet (safe to run again)."""
    created = ensure_topics(load_settings())
    typer.echo(f"created: {', '.join(created)}" if created else "all topics exist")


@commands.command()
def status() -> None:
    """Show what is running: services, consumer lag, accounts per band, alerts, channels."""
    from rich.console import Console

    from services.db.sql import Database
    from services.local.status import from_database, probe, service_urls

    settings = load_settings()
    urls = service_urls(settings.data_dir, {
        name: f"http://{getattr(settings, name + '_host')}:{getattr(settings, name + '_port')}"
        for name in ("ingest", "scorer", "alerts")
    })  # fmt: skip
    services, lag = probe(urls)
    smtp = settings.smtp_host and f"{settings.smtp_host}:{settings.smtp_port}"
    smtp = smtp or urls.get("smtp")
    with Database(settings.sqlalchemy_url).sessions()() as session:
        found = from_database(session, smtp)
    console = Console(width=200)
    for name, state in services.items():
        console.print(f"{name:<9}{state}")
    console.print("lag      " + (", ".join(f"{g}: {n:.0f}" for g, n in sorted(lag.items()))
                                 or "unknown (no consumer reports it yet)"))  # fmt: skip
    order = ("red", "yellow", "green", "unknown")
    bands = ", ".join(f"{b} {found.bands[b]}" for b in order if b in found.bands)
    console.print(f"accounts {sum(found.bands.values())}" + (f" ({bands})" if bands else ""))
    alerts_ = ", ".join(f"{s} {n}" for s, n in sorted(found.alerts.items()))
    console.print(f"alerts   {alerts_ or 'none'}")
    for channel, state in found.channels.items():
        console.print(f"{channel + ':':<10}{state}")


@commands.command("receive-webhooks")
def receive_webhooks(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free one).")] = 9000,
    secret: Annotated[
        str | None, typer.Option(help="The endpoint's whsec_ secret, to check signatures.")
    ] = None,
) -> None:
    """Print the webhooks sent to this machine (to try alerts; `up` allows loopback URLs)."""
    from services.local.webhook_receiver import serve

    serve(port, secret)
