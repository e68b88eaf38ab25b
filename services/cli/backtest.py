"""`healthmon backtest` and `healthmon model fit`: a model file measured on, and fitted to, a
history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from services.cli.running import load_settings

commands = typer.Typer()
model_cli = typer.Typer(help="The health model: fit its weights to a history.")

HISTORY = "History: NDJSON, one record a line (gzipped or not: told by its content)."
ChurnLabels = Annotated[
    Path | None,
    typer.Option(help="CSV account_id,churned_at (default: each subscription_ended)."),
]


def _share(help: str) -> Any:
    """An option that takes a share, from 0 to 1."""
    return typer.Option(min=0.0, max=1.0, help=help)


@commands.command()
def backtest(
    events: Annotated[Path | None, typer.Option(help=HISTORY)] = None,
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


commands.add_typer(model_cli, name="model")


@model_cli.command("fit")
def model_fit(
    events: Annotated[Path, typer.Option(help=HISTORY)],
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
        _share(
            "Green edge: the share of retained training accounts that go yellow or red at "
            "some judged midnight (default: the current model's share)."
        ),
    ] = None,
    red_rate: Annotated[
        float | None,
        _share(
            "Yellow edge: the share of retained training accounts that go red at some judged "
            "midnight (default: the current model's share)."
        ),
    ] = None,
    yellow_precision: Annotated[
        float | None,
        _share(
            "Green edge: the highest whose account-days below it churn within 30 days at "
            "this precision on the training accounts (instead of --flag-rate)."
        ),
    ] = None,
    red_precision: Annotated[
        float | None,
        _share(
            "Yellow edge: the highest whose red account-days churn within 30 days at this "
            "precision on the training accounts (instead of --red-rate)."
        ),
    ] = None,
    version: Annotated[
        str | None, typer.Option(help="Version of the fitted model (default: the next one).")
    ] = None,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the held-out figures as one JSON object; the tables go to standard error.",
        ),
    ] = False,
) -> None:
    """Fit component and signal weights and band edges to a history; judge on held-out accounts."""
    import orjson
    from rich.console import Console

    from services.scorer.backtest.command import BacktestError
    from services.scorer.backtest.fit import FitError
    from services.scorer.backtest.fit_run import fit_model

    try:
        result = fit_model(
            events,
            model,
            labels,
            out,
            holdout,
            seed,
            flag_rate,
            red_rate,
            version,
            Console(stderr=json_out),
            yellow_precision=yellow_precision,
            red_precision=red_precision,
        )
    except (BacktestError, FitError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if json_out:
        typer.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
