"""`harness sweep`: a grid of models x methods x tasks x seeds; recorded runs are skipped (resume)."""

from __future__ import annotations

import click

from harness.cli import options
from harness.cli.backend_options import backend_from_options, backend_options
from harness.cli.grid_options import grid_from_options, grid_options
from harness.errors import HarnessError, RunFailed
from harness.record.store import ResultStore
from harness.sweep import check_data, plan_grid, run_grid
from harness.train.progress import stderr_console


@click.command()
@grid_options
@options.device
@options.data_dir
@options.tasks_dirs
@options.results_dir
@click.option("--save-model", is_flag=True, help="Keep every run's trained weights beside its record.")
@click.option("--dry-run", is_flag=True, help="Plan and check every run, list them, run nothing.")
@options.in_process
@options.checkpoint_every
@options.checkpoint_minutes
@click.option("--quiet", is_flag=True, help="No progress bars (one line per run is still printed).")
@options.tracker_options
@backend_options
def sweep(device, data_dir, tasks_dirs, output, save_model, dry_run, in_process, checkpoint_every, checkpoint_minutes,
          quiet, **flags):
    """Run every combination of models, methods, tasks and seeds that is not recorded yet.

    Every run is planned and checked before the first one starts; an interrupted sweep
    resumes where it stopped when run again with the same arguments (a run that was
    checkpointed continues from its checkpoint). --backend ray or slurm sends the runs to a
    cluster; records land in the same results folder either way.
    """
    trackers = options.tracker_request_from(flags)  # every run logs to them; checked before any run starts
    runner = backend_from_options(flags, output)  # None: run_grid's own, local
    grid = grid_from_options(flags)
    planned = plan_grid(grid, list(tasks_dirs), results=output, data_dir=data_dir)
    check_data(planned, data_dir)
    stderr_console.print(f"sweep: {len(planned)} runs ({len(grid.models)} models x {len(grid.methods)} methods x "
                         f"{len(grid.tasks)} tasks x {len(grid.seeds)} seeds"
                         + (f" x {len(grid.remedies)} remedies" if grid.remedies else "") + f") into {output}")
    if dry_run:
        store = ResultStore(output)
        for run in planned:
            click.echo(f"{run.spec.run_id(run.task.hash)}  {run.label}{_state(store, run)}")
        return 0
    result = run_grid(planned, output=output, data_dir=data_dir, device=None if device == "auto" else device,
                      show_progress=not quiet, save_model=save_model, isolate=not in_process,
                      checkpoint_every=checkpoint_every, checkpoint_minutes=checkpoint_minutes, backend=runner,
                      trackers=trackers)
    click.echo(f"sweep done: {result.ran} ran, {result.skipped} already recorded, {len(result.failed)} failed")
    if result.failed:
        raise RunFailed(f"{len(result.failed)} run(s) failed: " + " | ".join(f"{label}: {error}"
                                                                          for label, error in result.failed))
    return 0



def _state(store: ResultStore, run) -> str:
    """What the sweep will do with a planned run: '' (run it), recorded (skip it) or why it will fail."""
    run_id = run.spec.run_id(run.task.hash)
    if not store.exists(run.task.name, run_id):
        return ""
    try:
        store.load(run.task.name, run_id)
    except HarnessError as exc:
        return f"  · will fail: {exc}"
    return "  · recorded"
