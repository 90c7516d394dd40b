"""Where a grid's runs execute (`--backend` and its flags), shared by `sweep` and `compare`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from harness.cli.range_type import ranged
from harness.errors import HarnessError
from harness.ranges import Range
from harness.sweep.backends import check_backend, make_backend

# flag -> the backends it applies to; given with another backend, it is refused rather than ignored
BACKEND_FLAGS = {"address": ("ray",), "gpus_per_run": ("ray", "slurm"), "cpus_per_run": ("ray", "slurm"),
                 "slurm_partition": ("slurm",), "slurm_time_min": ("slurm",), "slurm_mem_gb": ("slurm",),
                 "slurm_folder": ("slurm",), "checkpoint_every": ("local",), "checkpoint_minutes": ("local",)}
NAMES = ("backend", "address", "gpus_per_run", "cpus_per_run", "slurm_partition", "slurm_time_min", "slurm_mem_gb",
         "slurm_folder")


def backend_options(command: Callable) -> Callable:
    """Adds --backend and the flags of each backend; they reach the command in `**flags`."""
    for option in reversed([
        click.option("--backend", default="local", show_default=True,
                     help="Where the runs execute: local (here, one at a time), ray (a Ray cluster), slurm (Slurm "
                          "jobs)."),
        click.option("--address", help="ray: the cluster's address (host:port, ray://host:port or auto); "
                                       "default: start a local Ray instance for the sweep."),
        click.option("--gpus-per-run", type=ranged(Range(int, 0, 1024, meaning="GPUs")),
                     help="ray, slurm: GPUs each run gets (default 1; ray: 0 when the cluster has none)."),
        click.option("--cpus-per-run", type=ranged(Range(int, 1, 4096, meaning="CPUs")), default=1, show_default=True,
                     help="ray, slurm: CPUs each run gets."),
        click.option("--slurm-partition", help="slurm: the partition to submit to (default: the cluster's)."),
        click.option("--slurm-time-min", type=ranged(Range(int, 1, 527_040, meaning="minutes, at most a year")), default=120, show_default=True,
                     help="slurm: time limit of each run's job, in minutes."),
        click.option("--slurm-mem-gb", type=ranged(Range(float, 0, 1_000_000, low_open=True, meaning="GB")),
                     help="slurm: memory of each run's job (default: the partition's)."),
        click.option("--slurm-folder", type=click.Path(path_type=Path, file_okay=False),
                     help="slurm: submitit's job files and logs, seen by the compute nodes [default: "
                          "RESULTS/.slurm]."),
    ]):
        command = option(command)
    return command


def backend_from_options(flags: dict[str, Any], output: Path | str):
    """The backend the flags ask for (popped from `flags`), or None for run_grid's local default."""
    given = {name: flags.pop(name) for name in NAMES}
    backend = check_backend(given["backend"])
    _refuse_other_backends_flags(backend)
    if backend == "local":
        return None
    settings = {"ray": dict(address=given["address"], gpus_per_run=given["gpus_per_run"],
                            cpus_per_run=given["cpus_per_run"]),
                "slurm": dict(folder=given["slurm_folder"] or Path(output) / ".slurm",
                              partition=given["slurm_partition"], time_min=given["slurm_time_min"],
                              gpus_per_run=given["gpus_per_run"], cpus_per_run=given["cpus_per_run"],
                              mem_gb=given["slurm_mem_gb"])}
    return make_backend(backend, **settings[backend])


def _refuse_other_backends_flags(backend: str) -> None:
    """A backend's flags given with another backend are refused: silently ignored, they would mislead."""
    context = click.get_current_context()
    for name, backends in BACKEND_FLAGS.items():
        if name in context.params and backend not in backends and context.get_parameter_source(name) not in (
                click.core.ParameterSource.DEFAULT, None):
            flag = "--" + name.replace("_", "-")
            raise HarnessError(f"{flag} applies to --backend {' or '.join(backends)}, not {backend}; drop it or "
                               f"pass --backend {backends[0]}")
