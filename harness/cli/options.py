"""Options shared by several commands, each declared once so that a flag reads the same everywhere."""

from __future__ import annotations

from pathlib import Path

import click

from harness.train.checkpoint import DEFAULT_CHECKPOINT_MINUTES

# where commands read from and write to
data_dir = click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), envvar="HARNESS_DATA_DIR",
                        help="Folder with the benchmark files (layouts in tasks/README.md). Env: HARNESS_DATA_DIR.")
tasks_dirs = click.option("--tasks-dir", "tasks_dirs", multiple=True, type=click.Path(path_type=Path),
                          help="Extra folder of task YAML files (repeatable). Env: HARNESS_TASKS_PATH.")
results_dir = click.option("--results", "--output", "output", type=click.Path(path_type=Path), default="results",
                           envvar="HARNESS_RESULTS", show_default=True,
                           help="Results folder. Env: HARNESS_RESULTS.")
views_dirs = click.option("--views-dir", "views_dirs", multiple=True, type=click.Path(path_type=Path),
                          help="Extra folder of leaderboard views (repeatable). Env: HARNESS_LEADERBOARDS_PATH.")
perturb = click.option("--perturb", help="Also evaluate on perturbed copies: 'all' or NAME[:SEVERITY],... "
                                          "(see `harness perturb --list`).")
perturb_modules = click.option("--perturb-module", "perturb_modules", multiple=True,
                               help="Import a module of your own perturbations first (repeatable).")

# how commands run
device = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
in_process = click.option("--in-process", is_flag=True,
                          help="Run every run in this process instead of a fresh one each (CPU peak memory then "
                               "mixes runs).")
quiet = click.option("--quiet", is_flag=True, help="No progress bars.")
n_boot = click.option("--n-boot", type=int, default=1000, show_default=True, help="Bootstrap resamples.")

checkpoint_every = click.option("--checkpoint-every", type=click.IntRange(min=0), default=0, show_default=True,
                                help="Checkpoint training every N optimiser updates (0: only by time).")
checkpoint_minutes = click.option("--checkpoint-minutes", type=click.FloatRange(min=0),
                                  default=DEFAULT_CHECKPOINT_MINUTES, show_default=True,
                                  help="Checkpoint training at most this many minutes apart (0: only by count).")
