"""The `healthmon` command."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from services import cli_setup
from services.cli_setup import load_settings
from services.kafka.topics import ensure_topics, reach_broker
from services.local.broker import ENGINES, start_broker

cli = typer.Typer(
    help="healthmon: real-time customer health from product, support and billing events.",
    no_args_is_help=True,
    add_completion=False,
)

Host = Annotated[str | None, typer.Option(help="Address to bind (default from settings).")]
Port = Annotated[int | None, typer.Option(help="Port to listen on (default from settings).")]
Demo = Annotated[bool, typer.Option(help="Also feed synthetic traffic for a few hundred accounts.")]
LocalEngine = Annotated[str | None, typer.Option(help="Local broker: noida (durable) or tansu.")]


@cli.callback()
def options(
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Log everything (debug lines, migrations, Kafka)."),
    ] = False,
) -> None:
    """healthmon: real-time customer health from product, support and billing events."""
    cli_setup.verbose = verbose


@cli.command()
def up(
    demo: Demo = False,
    engine: LocalEngine = None,
    data_dir: Annotated[Path | None, typer.Option(help="Where local state lives.")] = None,
) -> None:
    """Run broker, ingest, scorer and alerts on this machine (Ctrl-C stops them)."""
    from services.local.up import run_all

    run_all(load_settings(broker_engine=engine, data_dir=data_dir), demo=demo)


@cli.command()
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


@cli.command()
def topics() -> None:
    """Create the topics that do not exist yet (safe to run again)."""
    created = ensure_topics(load_settings())
    typer.echo(f"created: {', '.join(created)}" if created else "all topics exist")


@cli.command()
def ingest(host: Host = None, port: Port = None) -> None:
    """Run the ingest HTTP API."""
    from services.ingest.app import create_app
    from services.web.server import serve

    settings = load_settings(service=True, ingest_host=host, ingest_port=port)
    app = create_app(settings)  # settings checked before any connection
    ensure_topics(settings)
    serve(app, settings.ingest_host, settings.ingest_port, settings.log_level)


@cli.command()
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


keys_cli = typer.Typer(help="API keys: create (the secret is shown once), list, revoke.")
cli.add_typer(keys_cli, name="keys")


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who the key is for, e.g. billing-backend.")],
    scope: Annotated[
        list[str],
        typer.Option(help="A scope it may use; repeat for several (e.g. events:usage, *)."),
    ],
) -> None:
    """Create a key and print its secret (shown only this once)."""
    from services.db.sql import Database
    from services.web.api_keys import ScopeError, create_key

    settings = load_settings()
    try:
        with Database(settings.sqlalchemy_url).sessions().begin() as session:
            row, secret = create_key(session, name, scope, datetime.now(UTC))
    except ScopeError as exc:
        raise typer.BadParameter(str(exc), param_hint="--scope") from exc
    typer.echo(f"id      {row.id}\nname    {row.name}\nscopes  {' '.join(row.scopes)}")
    typer.echo(f"secret  {secret}\n(store it now: it is not kept and cannot be shown again)")


@keys_cli.command("list")
def keys_list() -> None:
    """List keys: id, name, scopes, created, revoked (never the secrets)."""
    from rich.console import Console
    from rich.table import Table

    from services.db.sql import Database
    from services.web.api_keys import list_keys

    with Database(load_settings().sqlalchemy_url).sessions()() as session:
        rows = list_keys(session)
    table = Table("id", "name", "scopes", "created", "revoked")
    for row in rows:
        revoked = row.revoked_at.isoformat(timespec="seconds") if row.revoked_at else ""
        table.add_row(
            row.id, row.name, " ".join(row.scopes),
            row.created_at.isoformat(timespec="seconds"), revoked,
        )  # fmt: skip
    Console(width=200).print(table)


@keys_cli.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (key_...).")]) -> None:
    """Revoke a key; requests with it get 401 within a few seconds."""
    from services.db.sql import Database
    from services.web.api_keys import revoke_key

    with Database(load_settings().sqlalchemy_url).sessions().begin() as session:
        row = revoke_key(session, key_id, datetime.now(UTC))
    if row is None:
        typer.echo(f"error: no key {key_id}", err=True)
        raise typer.Exit(2)
    typer.echo(f"revoked {row.id} ({row.name})")


mappings_cli = typer.Typer(
    help="Which account a Stripe customer, Zendesk organization or Segment user belongs to."
)
cli.add_typer(mappings_cli, name="mappings")
Source = Annotated[str, typer.Argument(help="stripe, zendesk or segment.")]
ExternalId = Annotated[
    str, typer.Argument(help="The source's id: cus_..., ch_..., an organization id, a userId.")
]


def _source(value: str) -> str:
    from services.ingest.account_mappings import MAPPING_SOURCES

    if value not in MAPPING_SOURCES:
        raise typer.BadParameter(f"one of {', '.join(MAPPING_SOURCES)}", param_hint="SOURCE")
    return value


@mappings_cli.command("set")
def mappings_set(
    source: Source,
    external_id: ExternalId,
    account_id: Annotated[str, typer.Argument(help="The healthmon account id.")],
) -> None:
    """Map an outside id to an account (replaces a learned mapping)."""
    from services.db.sql import Database
    from services.ingest.account_mappings import set_mapping

    with Database(load_settings().sqlalchemy_url).sessions().begin() as session:
        set_mapping(session, _source(source), external_id, account_id, datetime.now(UTC))
    typer.echo(f"{source} {external_id} -> {account_id}")


@mappings_cli.command("list")
def mappings_list(
    source: Annotated[str | None, typer.Argument(help="Only this source's.")] = None,
) -> None:
    """List mappings: source, outside id, account, set by an operator or learned."""
    from rich.console import Console
    from rich.table import Table

    from services.db.sql import Database
    from services.ingest.account_mappings import list_mappings

    with Database(load_settings().sqlalchemy_url).sessions()() as session:
        rows = list_mappings(session, None if source is None else _source(source))
    table = Table("source", "id", "account", "how", "updated")
    for row in rows:
        how = "learned" if row.learned else "set"
        table.add_row(
            row.source, row.external_id, row.account_id, how,
            row.updated_at.isoformat(timespec="seconds"),
        )  # fmt: skip
    Console(width=200).print(table)


@mappings_cli.command("delete")
def mappings_delete(source: Source, external_id: ExternalId) -> None:
    """Remove a mapping."""
    from services.db.sql import Database
    from services.ingest.account_mappings import delete_mapping

    with Database(load_settings().sqlalchemy_url).sessions().begin() as session:
        found = delete_mapping(session, _source(source), external_id)
    if not found:
        typer.echo(f"error: no mapping of {source} {external_id}", err=True)
        raise typer.Exit(2)
    typer.echo(f"deleted {source} {external_id}")


db_cli = typer.Typer(help="The SQL database: migrate it to the schema of this version.")
cli.add_typer(db_cli, name="db")


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply the migrations the database lacks (a server database needs it before the services
    start; SQLite is migrated by `healthmon up` and the services)."""
    from alembic.runtime.migration import MigrationContext

    from services.db.sql import make_engine, upgrade_db

    settings = load_settings()
    engine = make_engine(settings.sqlalchemy_url)
    upgrade_db(engine, revision)
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    typer.echo(f"{engine.url.render_as_string(hide_password=True)} at revision {current}")


secrets_cli = typer.Typer(help="Keys sealing webhook signing secrets at rest.")
cli.add_typer(secrets_cli, name="secrets")


@secrets_cli.command("new-key")
def secrets_new_key() -> None:
    """Print a new key for HEALTHMON_SECRET_KEYS."""
    from services.alerts.secret_box import new_key

    typer.echo(new_key())


@secrets_cli.command("reseal")
def secrets_reseal() -> None:
    """Seal every webhook secret with the first key of HEALTHMON_SECRET_KEYS (the step of a
    key rotation after which the old keys can be dropped)."""
    from services.alerts.secret_box import SecretKeyError, reseal_all, secret_box_of
    from services.db.sql import make_engine, session_factory, upgrade_db

    settings = load_settings()
    engine = make_engine(settings.sqlalchemy_url)
    upgrade_db(engine)
    try:
        box = secret_box_of(settings)
        with session_factory(engine).begin() as session:
            count = reseal_all(session, box)
    except SecretKeyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"resealed the secrets of {count} webhook endpoints with the first key")


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 date or time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@cli.command()
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


ChurnLabels = Annotated[
    Path | None,
    typer.Option(help="CSV account_id,churned_at (default: each subscription_ended)."),
]


@cli.command()
def backtest(
    events: Annotated[
        Path | None,
        typer.Option(help="History: NDJSON, one record a line (gzipped if it ends in .gz)."),
    ] = None,
    from_topics: Annotated[
        bool, typer.Option(help="Read the history from the deployment's input topics instead.")
    ] = False,
    model: Annotated[
        Path | None, typer.Option(help="Health model file (default: the shipped model).")
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option(help="A second model file: its figures too, and where the bands differ."),
    ] = None,
    labels: ChurnLabels = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    html: Annotated[
        Path | None, typer.Option(help="Write a self-contained HTML report with charts.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the per-account AUC's drawn days.")] = 1,
) -> None:
    """Replay history through a model file and measure how well it warned of churn."""
    from services.scorer.backtest.command import BacktestError, run_backtest

    try:
        run_backtest(
            events, from_topics, model, compare, labels, json_out, html, seed,
            load_settings if from_topics else None,
        )  # fmt: skip
    except BacktestError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


model_cli = typer.Typer(help="The health model: fit its weights to a history.")
cli.add_typer(model_cli, name="model")


@model_cli.command("fit")
def model_fit(
    events: Annotated[Path, typer.Option(help="History: NDJSON, one record a line (.gz too).")],
    out: Annotated[Path, typer.Option(help="Where to write the fitted model file.")],
    model: Annotated[
        Path | None, typer.Option(help="Model file to start from (default: the shipped model).")
    ] = None,
    labels: ChurnLabels = None,
    holdout: Annotated[
        float, typer.Option(min=0.05, max=0.9, help="Share of accounts held out of the fit.")
    ] = 0.3,
    seed: Annotated[int, typer.Option(help="Seed of the held-out accounts.")] = 1,
    flag_rate: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, help="Share of retained account-days below green (default: as now)."
        ),
    ] = None,
    red_rate: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, help="Share of retained account-days red (default: as now)."
        ),
    ] = None,
    version: Annotated[
        str | None, typer.Option(help="Version of the fitted model (default: the next one).")
    ] = None,
) -> None:
    """Fit component and signal weights and band edges to a history; judge on held-out accounts."""
    from rich.console import Console

    from services.scorer.backtest.command import BacktestError
    from services.scorer.backtest.fit import FitError
    from services.scorer.backtest.fit_run import fit_model

    try:
        fit_model(
            events, model, labels, out, holdout, seed, flag_rate, red_rate, version, Console()
        )
    except (BacktestError, FitError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


alerts_cli = typer.Typer(
    help="Run the alerts service (no subcommand), or list alerts (`alerts list`).",
    invoke_without_command=True,
)
cli.add_typer(alerts_cli, name="alerts")


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


@cli.command()
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


@cli.command("receive-webhooks")
def receive_webhooks(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free one).")] = 9000,
    secret: Annotated[
        str | None, typer.Option(help="The endpoint's whsec_ secret, to check signatures.")
    ] = None,
) -> None:
    """Print the webhooks sent to this machine (to try alerts; `up` allows loopback URLs)."""
    from services.local.webhook_receiver import serve

    serve(port, secret)


def main() -> None:
    """Entry point of the `healthmon` script."""
    cli_setup.run_reporting(cli)


if __name__ == "__main__":
    main()
