"""`harness results check`: what is wrong with a results folder's files; nothing is changed."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from harness.cli import options
from harness.errors import HarnessError
from harness.record.check import check_results


@click.group()
def results() -> None:
    """Look after a results folder."""


@results.command()
@options.results_dir
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def check(output, as_json):
    """Report record files that are corrupt, incomplete, orphaned or of another schema (exit 1 if any);
    nothing is deleted or rewritten, and readers skip such files with a warning."""
    if not output.is_dir():
        raise HarnessError(f"results folder {output} does not exist; pass --results DIR")
    findings = check_results(output)
    if as_json:
        click.echo(json.dumps([{"path": str(f.path), "problem": f.problem, "detail": f.detail} for f in findings],
                              indent=2))
    elif findings:
        table = Table(title=f"{len(findings)} problem(s) in {output}", title_justify="left")
        for column in ("file", "problem", "detail"):
            table.add_column(column, overflow="fold")
        for finding in findings:
            table.add_row(str(finding.path.relative_to(output)), finding.problem, finding.detail)
        Console().print(table)
    else:
        click.echo(f"{output}: every record is readable, complete and of the current schema")
    return 1 if findings else 0
