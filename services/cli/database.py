"""`healthmon db` and `healthmon secrets`: the SQL database's migrations and the keys sealing the
webhook secrets it keeps."""

from __future__ import annotations

from typing import Annotated

import typer

from services.cli.running import load_settings

commands = typer.Typer()
db_cli = typer.Typer(help="The SQL database: migrate it to the schema of this version.")
commands.add_typer(db_cli, name="db")
secrets_cli = typer.Typer(help="Keys sealing webhook signing secrets at rest.")
commands.add_typer(secrets_cli, name="secrets")


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
