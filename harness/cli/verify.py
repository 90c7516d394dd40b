"""`harness verify RUN_ID`: repeat a recorded run and compare its metrics and predictions with the record."""

from __future__ import annotations

import click

from harness.cli import options
from harness.replay import reevaluate_run, verify_run


@click.command()
@click.argument("run_id")
@options.device
@options.data_dir
@options.tasks_dirs
@options.results_dir
@click.option("--eval-only", is_flag=True,
              help="Do not train: evaluate the run's saved model (--save-model) again in this one process.")
@options.quiet
def verify(run_id, device, data_dir, tasks_dirs, output, eval_only, quiet):
    """Rerun RUN_ID from its recorded spec (into a temporary folder) and diff metrics and predictions;
    exit 1 on any difference. The record itself is not touched. With --eval-only, only the evaluation
    is repeated, on the saved model: how a multi-process run is checked against one process."""
    device = None if device == "auto" else device
    if eval_only:
        report = reevaluate_run(output, run_id, data_dir=data_dir, device=device, tasks_dirs=list(tasks_dirs))
    else:
        report = verify_run(output, run_id, data_dir=data_dir, device=device, tasks_dirs=list(tasks_dirs),
                            show_progress=not quiet)
    if report.identical:
        what = "its saved model evaluates exactly as recorded" if eval_only else "repeats exactly"
        click.echo(f"run {report.run_id} ({report.task}) {what}: {report.compared_metrics} metric value(s) "
                   f"and {report.compared_rows} prediction rows identical")
        return 0
    expected = f" (expected: its record says {report.not_bitwise_because})" if report.not_bitwise_because else ""
    click.echo(f"run {report.run_id} ({report.task}) did not repeat{expected}: " + "; ".join(report.differences))
    return 1
