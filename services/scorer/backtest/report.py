"""The backtest in the terminal: figures side by side (rich), skipped lines, disagreements."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

ROWS = (
    ("auc_account_day_14d", "account-day AUC, 14 days"),
    ("auc_account_day_30d", "account-day AUC, 30 days"),
    ("auc_account_30d", "per-account AUC, 30 days"),
    ("churners_flagged_14d_share", "churners flagged >= 14 days before"),
    ("churners_red_14d_share", "churners red >= 14 days before"),
    ("churners_never_red_share", "churners never red in last 90 days"),
    ("churners_held_flag_14d_share", "churners flagged from 14 days to end"),
    ("lead_days_quartiles", "lead time, days (quartiles)"),
    ("healthy_flagged_share", "retained accounts ever flagged"),
    ("healthy_red_share", "retained accounts ever red"),
    ("changes_per_healthy_account_month", "changes per retained account-month"),
    ("holiday_week_changes_ratio", "holiday week / normal week changes"),
    ("week_after_holiday_changes_ratio", "week after holiday / normal week"),
)
SEGMENT_ROWS = (*ROWS[:4], *ROWS[8:11])
SHOWN_DISAGREEMENTS = 20


def cell(value: Any) -> str:
    """A figure as table text."""
    if value is None:
        return "-"
    if isinstance(value, list):
        return " / ".join(f"{v:g}" for v in value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def columns(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each scorer's figures with its column title: the model, a compared model, baselines."""
    out = [(f"model {result['model_version']}", result)]
    if "compare" in result:
        out.append((f"model {result['compare']['model_version']}", result["compare"]))
    out += [(name.replace("_", " "), figures) for name, figures in result["baselines"].items()]
    return out


def figures_table(result: dict[str, Any], title: str = "backtest") -> Table:
    """The figures, one column per scorer; precision by kind and figures by segment below."""
    cols = columns(result)
    table = Table(title=title, title_justify="left")
    table.add_column("")
    for name, _ in cols:
        table.add_column(name, justify="right")
    for key, label in ROWS:
        table.add_row(label, *(cell(figures[key]) for _, figures in cols))
    table.add_section()
    table.add_row("[bold]precision at 30 days (changes)[/bold]")
    for kind in result["precision_by_kind"]:
        texts = []
        for _, figures in cols:
            value = figures["precision_by_kind"][kind]
            texts.append(f"{cell(value['precision_30d'])} ({value['changes']})")
        table.add_row(f"  {kind}", *texts)
    for segment in result["by_segment"]:
        table.add_section()
        counts = result["by_segment"][segment]
        table.add_row(
            f"[bold]segment {segment}[/bold] ({counts['accounts']} accounts, "
            f"{counts['churners']} churned)"
        )
        for key, label in SEGMENT_ROWS:
            texts = [cell(figures["by_segment"].get(segment, {}).get(key)) for _, figures in cols]
            table.add_row(f"  {label}", *texts)
    return table


def print_report(console: Console, result: dict[str, Any]) -> None:
    """The whole report: extent of the history, skipped lines, figures, disagreements."""
    history = result["history"]
    console.print(
        f"{history['accounts']} accounts, {result['churners']} churned; {history['records']} "
        f"records from {history['from']} over {history['days']} days"
    )
    if history["skipped"]:
        console.print(f"[yellow]{history['skipped']} lines skipped[/yellow]:")
        for item in history["skipped_lines"]:
            console.print(f"  {item['where']}: {item['reason']}", markup=False)
        if history["skipped"] > len(history["skipped_lines"]):
            console.print(f"  ... and {history['skipped'] - len(history['skipped_lines'])} more")
    if history.get("behind"):
        console.print(
            f"[yellow]{history['behind']} records came after a later record of their account[/]"
            "; the figures assume event-time order (sort the history by occurred_at)"
        )
    console.print(figures_table(result))
    if "compare" in result:
        print_disagreements(console, result)


def print_disagreements(console: Console, result: dict[str, Any]) -> None:
    """The accounts the two models band differently."""
    found = result["compare"]["disagreement"]
    mine, theirs = result["model_version"], result["compare"]["model_version"]
    console.print(
        f"{found['accounts_differ_at_end']} accounts end in a different band under {theirs} "
        f"than under {mine}; {found['accounts_ever_differ']} differ on some day "
        f"({found['account_days_differ']} of {found['account_days']} account-days)"
    )
    rows = found["disagreements"][:SHOWN_DISAGREEMENTS]
    if not rows:
        return
    table = Table(title="band disagreements", title_justify="left")
    for column in ("account", mine, theirs, "days differing", "first"):
        table.add_column(column)
    for d in rows:
        table.add_row(
            d["account_id"],
            _label(d["band"], d["score"]),
            _label(d["other_band"], d["other_score"]),
            str(d["days"]),
            d["first_day"] or "",
        )
    console.print(table)
    if len(found["disagreements"]) > len(rows):
        console.print(f"... and {len(found['disagreements']) - len(rows)} more (--json lists all)")


def _label(band: str, score: float | None) -> str:
    return band if score is None else f"{band} {score:.0f}"
