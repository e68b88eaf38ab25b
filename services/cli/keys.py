"""`healthmon keys`: API keys created (the secret shown once), listed and revoked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from services.cli.running import load_settings

commands = typer.Typer(
    name="keys", help="API keys: create (the secret is shown once), list, revoke."
)


@commands.command("create")
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


@commands.command("list")
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


@commands.command("revoke")
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
