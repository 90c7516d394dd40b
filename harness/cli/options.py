"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

from harness.train.checkpoint import DEFAULT_CHECKPOINT_MINUTES

data_dir = click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), envvar="HARNESS_DATA_DIR",
                        help="Folder with the benchmark files (layouts in tasks/README.md). Env: HARNESS_DATA_DIR.")
tasks_dirs = click.option("--tasks-dir", "tasks_dirs", multiple=True, type=click.Path(path_type=Path),
                          help="Extra folder of task YAML files (repeatable). Env: HARNESS_TASKS_PATH.")
results_dir = click.option("--results", "--output", "output", type=click.Path(path_type=Path), default="results",
                           envvar="HARNESS_RESULTS", show_default=True,
                           help="Results folder. Env: HARNESS_RESULTS.")

checkpoint_every = click.option("--checkpoint-every", type=click.IntRange(min=0), default=0, show_default=True,
                                help="Checkpoint training every N optimiser updates (0: only by time).")
checkpoint_minutes = click.option("--checkpoint-minutes", type=click.FloatRange(min=0),
                                  default=DEFAULT_CHECKPOINT_MINUTES, show_default=True,
                                  help="Checkpoint training at most this many minutes apart (0: only by count).")
