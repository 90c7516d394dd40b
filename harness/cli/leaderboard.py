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
    """Recorded runs: rows model x method, columns tasks (official headline metric, mean over seeds)."""
    runs, warnings = load_runs(output)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if runs.empty:
        raise HarnessError(f"no run records in {output}; run `harness run ...` first or pass --results DIR")
    table = build(runs)
    metric_of = headline_names(runs)
    columns = sorted(table["mean"].columns)
    rows = [(model, method, [_cell(table["mean"].at[(model, method), c], table["std"].at[(model, method), c],
                                   table["count"].at[(model, method), c]) for c in columns])
            for model, method in table.index]
    if fmt == "markdown":
        header = ["model", "method"] + [f"{c}<br>{metric_of[c]}" for c in columns]
        click.echo("| " + " | ".join(header) + " |")
        click.echo("|" + "---|" * len(header))
        for model, method, cells in rows:
            click.echo("| " + " | ".join([model, method, *cells]) + " |")
        return
    rich_table = Table(title=f"leaderboard: {output}", title_justify="left")
    rich_table.add_column("model")
    rich_table.add_column("method")
    for c in columns:
        rich_table.add_column(f"{c}\n{metric_of[c]}", justify="right")
    for model, method, cells in rows:
        rich_table.add_row(model, method, *cells)
    Console().print(rich_table)
