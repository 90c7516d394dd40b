"""`harness sweep`: a grid of models x methods x tasks x seeds; recorded runs are skipped (resume)."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli import options
from harness.cli.grid_options import grid_from_options, grid_options
from harness.errors import HarnessError, RunFailed
from harness.sweep import check_data, plan_grid, run_grid
from harness.sweep.backends import check_backend, make_backend
from harness.train.progress import stderr_console

# flag -> the backends it applies to; given with another backend, it is refused rather than ignored
BACKEND_FLAGS = {"address": ("ray",), "gpus_per_run": ("ray", "slurm"), "cpus_per_run": ("ray", "slurm"),
                 "slurm_partition": ("slurm",), "slurm_time_min": ("slurm",), "slurm_mem_gb": ("slurm",),
                 "slurm_folder": ("slurm",), "checkpoint_every": ("local",), "checkpoint_minutes": ("local",)}


@click.command()
@grid_options
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@options.data_dir
@options.tasks_dirs
@options.results_dir
@click.option("--save-model", is_flag=True, help="Keep every run's trained weights beside its record.")
@click.option("--dry-run", is_flag=True, help="Plan and check every run, list them, run nothing.")
@click.option("--in-process", is_flag=True,
              help="Run every run in this process instead of a fresh one each (CPU peak memory then mixes runs).")
@options.checkpoint_every
@options.checkpoint_minutes
@click.option("--quiet", is_flag=True, help="No progress bars (one line per run is still printed).")
@click.option("--backend", default="local", show_default=True,
              help="Where the runs execute: local (here, one at a time), ray (a Ray cluster), slurm (Slurm jobs).")
@click.option("--address", help="ray: the cluster's address (host:port, ray://host:port or auto); "
                                "default: start a local Ray instance for the sweep.")
@click.option("--gpus-per-run", type=click.IntRange(min=0),
              help="ray, slurm: GPUs each run gets (default 1; ray: 0 when the cluster has none).")
@click.option("--cpus-per-run", type=click.IntRange(min=1), default=1, show_default=True,
              help="ray, slurm: CPUs each run gets.")
@click.option("--slurm-partition", help="slurm: the partition to submit to (default: the cluster's).")
@click.option("--slurm-time-min", type=click.IntRange(min=1), default=120, show_default=True,
              help="slurm: time limit of each run's job, in minutes.")
@click.option("--slurm-mem-gb", type=click.FloatRange(min=0, min_open=True),
              help="slurm: memory of each run's job (default: the partition's).")
@click.option("--slurm-folder", type=click.Path(path_type=Path, file_okay=False),
              help="slurm: submitit's job files and logs, seen by the compute nodes [default: RESULTS/.slurm].")
def sweep(device, data_dir, tasks_dirs, output, save_model, dry_run, in_process, checkpoint_every, checkpoint_minutes,
          quiet, backend, address, gpus_per_run, cpus_per_run, slurm_partition, slurm_time_min, slurm_mem_gb,
          slurm_folder, **flags):
    """Run every combination of models, methods, tasks and seeds that is not recorded yet.

    Every run is planned and checked before the first one starts; an interrupted sweep
    resumes where it stopped when run again with the same arguments (a run that was
    checkpointed continues from its checkpoint). --backend ray or slurm sends the runs to a
    cluster; records land in the same results folder either way.
    """
    _check_backend_flags(check_backend(backend))
    settings = {"ray": dict(address=address, gpus_per_run=gpus_per_run, cpus_per_run=cpus_per_run),
                "slurm": dict(folder=slurm_folder or Path(output) / ".slurm", partition=slurm_partition,
                              time_min=slurm_time_min, gpus_per_run=gpus_per_run, cpus_per_run=cpus_per_run,
                              mem_gb=slurm_mem_gb)}
    runner = make_backend(backend, **settings[backend]) if backend != "local" else None  # None: run_grid's own
    grid = grid_from_options(flags)
    planned = plan_grid(grid, list(tasks_dirs))
    check_data(planned, data_dir)
    stderr_console.print(f"sweep: {len(planned)} runs ({len(grid.models)} models x {len(grid.methods)} methods x "
                         f"{len(grid.tasks)} tasks x {len(grid.seeds)} seeds) into {output}")
    if dry_run:
        for run in planned:
            click.echo(f"{run.spec.run_id(run.task.hash)}  {run.label}")
        return 0
    result = run_grid(planned, output=output, data_dir=data_dir, device=None if device == "auto" else device,
                      show_progress=not quiet, save_model=save_model, isolate=not in_process,
                      checkpoint_every=checkpoint_every, checkpoint_minutes=checkpoint_minutes, backend=runner)
    click.echo(f"sweep done: {result.ran} ran, {result.skipped} already recorded, {len(result.failed)} failed")
    if result.failed:
        raise RunFailed(f"{len(result.failed)} run(s) failed: " + " | ".join(f"{label}: {error}"
                                                                          for label, error in result.failed))
    return 0


def _check_backend_flags(backend: str) -> None:
    """A backend's flags given with another backend are refused: silently ignored, they would mislead."""
    context = click.get_current_context()
    for name, backends in BACKEND_FLAGS.items():
        if backend not in backends and context.get_parameter_source(name) not in (
                click.core.ParameterSource.DEFAULT, None):
            flag = "--" + name.replace("_", "-")
            raise HarnessError(f"{flag} applies to --backend {' or '.join(backends)}, not {backend}; drop it or "
                               f"pass --backend {backends[0]}")
