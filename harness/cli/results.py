"""`harness results check`: what is wrong with a results folder's files (nothing is changed);
`harness results export`: the recorded runs as one table in a JSON lines, CSV or parquet file."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from harness.cli.results_folder import results_dir
from harness.errors import HarnessError
from harness.results import FORMATS, format_of, load_with_warnings, write_frame


@click.group()
def results() -> None:
    """Look after a results folder."""


@results.command()
@results_dir
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def check(output, as_json):
    """Report record files that are corrupt, incomplete, orphaned or of another schema (exit 1 if any);
    nothing is deleted or rewritten, and readers skip such files with a warning."""
    if not output.is_dir():
        raise HarnessError(f"results folder {output} does not exist; pass --results DIR")
    # imported here: it imports the spec, and with it torch, which `harness results export` does not need
    from harness.record.check import check_results

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


@results.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="File format; by default the one --output's suffix names (.jsonl, .csv, .parquet).")
@click.option("--output", "output", type=click.Path(path_type=Path), required=True,
              help="The file to write (replaced whole, or left as it was if the export fails).")
@click.option("--results", "results_dir", type=click.Path(path_type=Path), default="results",
              envvar="HARNESS_RESULTS", show_default=True, help="Results folder. Env: HARNESS_RESULTS.")
def export(fmt, output, results_dir):
    """Write every recorded run as one row per (run, split, metric), with perturbed and prompt-variant rows
    (column `kind`), the spec's fields, intervals and data fingerprints; `harness.results.load` gives the same
    table in Python."""
    fmt = format_of(output, fmt)
    frame, problems = load_with_warnings(results_dir)
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    if frame.empty:
        raise HarnessError(f"no run records in {results_dir}; run `harness run ...` first or pass --results DIR")
    write_frame(frame, output, fmt)
    click.echo(f"wrote {len(frame)} rows ({frame['run_id'].nunique()} runs) to {output}")
