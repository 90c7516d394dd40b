"""Options shared by several commands, each declared once so that a flag reads the same everywhere.

Every number a flag takes has a declared range (harness/ranges.py), checked by `ranged`."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.range_type import ranged
from harness.ranges import ALPHA, N_BOOT, SEED, Range
from harness.spec import RANGES, flag
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
n_boot = click.option("--n-boot", type=ranged(N_BOOT), default=1000, show_default=True, help="Bootstrap resamples.")
alpha = click.option("--alpha", type=ranged(ALPHA), default=0.05, show_default=True,
                     help="Significance level: a difference counts when the paired bootstrap's p is below it.")
seed = click.option("--seed", type=ranged(SEED), default=0, show_default=True)

checkpoint_every = click.option("--checkpoint-every", type=ranged(Range(int, 0, 10**9, meaning="optimiser updates")),
                                default=0, show_default=True,
                                help="Checkpoint training every N optimiser updates (0: only by time).")
checkpoint_minutes = click.option("--checkpoint-minutes", type=ranged(Range(float, 0, 10**6, meaning="minutes")),
                                  default=DEFAULT_CHECKPOINT_MINUTES, show_default=True,
                                  help="Checkpoint training at most this many minutes apart (0: only by count).")

# A run's numeric settings (harness/spec.py declares their ranges), shared by `run`, `sweep` and `compare`.
_SETTINGS_HELP = {
    "epochs": "Maximum epochs (early stopping may end sooner).",
    "lr": "Peak learning rate (default depends on the method).",
    "batch_size": "Examples per optimisation step, per device.",
    "grad_accum": "Batches accumulated per optimisation step.",
    "warmup_ratio": "Share of steps spent warming the learning rate up.",
    "weight_decay": "AdamW weight decay.",
    "patience": "Epochs without improvement on the selection split before stopping.",
    "train_limit": "Train on a seeded sample of this many examples.",
    "eval_limit": "Evaluate on a fixed sample of this many examples per split.",
    "max_length": "Token budget per example (default from the task).",
    "fold": "Train and select on the task's fixed few-shot fold K (FewCLUE: 0-4).",
    "init_seed": "Seed of the initial weights (head, method) and of the training sample, so that runs with "
                 "different --seed share them and differ only in batch order and dropout (members of a weight "
                 "soup: `harness merge`).",
}
TRAINING_SETTINGS = ("epochs", "lr", "batch_size", "grad_accum", "warmup_ratio", "weight_decay", "patience")


def run_settings(command):
    """Decorator: one flag per numeric run setting, each checked against its declared range."""
    for name in reversed(_SETTINGS_HELP):
        command = click.option(flag(name), name, type=ranged(RANGES[name]), help=_SETTINGS_HELP[name])(command)
    return command
