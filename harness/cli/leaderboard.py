"""`harness leaderboard`: recorded runs as one table."""

from __future__ import annotations

import math

import click
from rich.console import Console
from rich.table import Table

from harness.board.table import headline_names, leaderboard as build, load_runs
from harness.cli import options
from harness.errors import HarnessError


def _cell(mean: float, std: float, count: int) -> str:
    if isinstance(mean, float) and math.isnan(mean):
        return "-"
    spread = f" ± {std:.4f}" if count > 1 and not math.isnan(std) else ""
    return f"{mean:.4f}{spread} (n={int(count)})"


@click.command()
@options.results_dir
@click.option("--format", "fmt", type=click.Choice(["terminal", "markdown"]), default="terminal", show_default=True)
def leaderboard(output, fmt):
    """Recorded runs: rows model x method x settings, columns tasks (headline metric, mean over seeds)."""
    runs, warnings = load_runs(output)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if runs.empty:
        raise HarnessError(f"no run records in {output}; run `harness run ...` first or pass --results DIR")
    table = build(runs)
    metric_of = headline_names(runs)
    columns = sorted(table["mean"].columns)
    rows = [(key, [_cell(table["mean"].at[key, c], table["std"].at[key, c], table["count"].at[key, c])
                   for c in columns])
            for key in table.index]
    if fmt == "markdown":
        header = ["model", "method", "settings"] + [f"{c}<br>{metric_of[c]}" for c in columns]
        click.echo("| " + " | ".join(header) + " |")
        click.echo("|" + "---|" * len(header))
        for key, cells in rows:
            click.echo("| " + " | ".join([*key, *cells]) + " |")
        return
    rich_table = Table(title=f"leaderboard: {output}", title_justify="left")
    for name in ("model", "method", "settings"):
        rich_table.add_column(name)
    for c in columns:
        rich_table.add_column(f"{c}\n{metric_of[c]}", justify="right")
    for key, cells in rows:
        rich_table.add_row(*key, *cells)
    Console().print(rich_table)
