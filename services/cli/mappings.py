"""`healthmon mappings`: which account a Stripe, Zendesk or Segment id belongs to."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from services.cli.running import load_settings

commands = typer.Typer(
    name="mappings",
    help="Which account a Stripe customer, Zendesk organization or Segment user belongs to.",
)
Source = Annotated[str, typer.Argument(help="stripe, zendesk or segment.")]
ExternalId = Annotated[
    str, typer.Argument(help="The source's id: cus_..., ch_..., an organization id, a userId.")
]


def _source(value: str) -> str:
    from services.ingest.account_mappings import MAPPING_SOURCES

    if value not in MAPPING_SOURCES:
        raise typer.BadParameter(f"one of {', '.join(MAPPING_SOURCES)}", param_hint="SOURCE")
    return value


@commands.command("set")
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


@commands.command("list")
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


@commands.command("delete")
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
