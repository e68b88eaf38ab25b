"""The shell of `healthmon backtest`: options checked, progress shown, figures printed."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import orjson
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from services.scorer.backtest.history import HistoryError, Skipped
from services.scorer.backtest.labels import read_labels
from services.scorer.backtest.replay import Replayed
from services.scorer.backtest.report import print_report
from services.scorer.backtest.run import MODEL, OTHER, backtest_result, replay_file
from services.scorer.model import HealthModel, ModelFileError, load_model
from services.settings import Settings


class BacktestError(ValueError):
    """The backtest cannot run as asked; the message says why."""


def load_models(model: Path | None, compare: Path | None) -> dict[str, HealthModel]:
    """The model (and the compared one), validated before anything is read."""
    try:
        models = {MODEL: load_model(model)}
        if compare is not None:
            models[OTHER] = load_model(compare)
    except ModelFileError as exc:
        raise BacktestError(str(exc)) from exc
    return models


def replay_with_progress(
    path: Path,
    models: dict[str, HealthModel],
    labels: Path | None,
    console: Console,
    collect: bool = False,
    accounts: set[str] | None = None,
    skipped: Skipped | None = None,
) -> Replayed:
    """Replay the file with a progress bar (bytes of the file as stored)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BacktestError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        churned_at = read_labels(labels) if labels is not None else None
    except HistoryError as exc:
        raise BacktestError(str(exc)) from exc
    columns = (
        TextColumn("replaying {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(path.name, total=size)
        try:
            return replay_file(
                path,
                models,
                churned_at,
                lambda done: progress.update(task, completed=done),
                collect,
                accounts,
                skipped,
            )
        except HistoryError as exc:
            raise BacktestError(str(exc)) from exc


def run_backtest(
    events: Path | None,
    from_topics: bool,
    model: Path | None,
    compare: Path | None,
    labels: Path | None,
    json_out: bool,
    html: Path | None,
    seed: int,
    settings: Callable[[], Settings] | None = None,
) -> None:
    """The whole command."""
    if (events is None) == (not from_topics):
        raise BacktestError("give either --events FILE or --from-topics")
    models = load_models(model, compare)
    err = Console(stderr=True)
    out = Console()
    with tempfile.TemporaryDirectory(prefix="healthmon-backtest-") as scratch:
        skipped = None
        if from_topics:
            from services.scorer.backtest.topics import export_topics

            assert settings is not None
            events = Path(scratch) / "history.ndjson"
            skipped = export_topics(settings(), events, err)
        assert events is not None
        replayed = replay_with_progress(events, models, labels, err, skipped=skipped)
    result = backtest_result(replayed, models, seed)
    if html is not None:
        from services.scorer.backtest.html import write_report

        write_report(html, result, replayed, models)
        err.print(f"report written to {html}")
    if json_out:
        out.file.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print_report(out, result)
