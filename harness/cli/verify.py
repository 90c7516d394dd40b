"""`harness verify RUN_ID`: repeat a recorded run and compare its metrics and predictions with the record."""

from __future__ import annotations

import click

from harness.cli import options
from harness.record.verify import verify_run


@click.command()
@click.argument("run_id")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@options.data_dir
@options.tasks_dirs
@options.results_dir
@click.option("--quiet", is_flag=True, help="No progress bars.")
def verify(run_id, device, data_dir, tasks_dirs, output, quiet):
    """Rerun RUN_ID from its recorded spec (into a temporary folder) and diff metrics and predictions;
    exit 1 on any difference. The record itself is not touched."""
    report = verify_run(output, run_id, data_dir=data_dir, device=None if device == "auto" else device,
                        tasks_dirs=list(tasks_dirs), show_progress=not quiet)
    if report.identical:
        click.echo(f"run {report.run_id} ({report.task}) repeats exactly: {report.compared_metrics} metric value(s) "
                   f"and {report.compared_rows} prediction rows identical")
        return 0
    expected = f" (expected: its record says {report.not_bitwise_because})" if report.not_bitwise_because else ""
    click.echo(f"run {report.run_id} ({report.task}) did not repeat{expected}: " + "; ".join(report.differences))
    return 1
