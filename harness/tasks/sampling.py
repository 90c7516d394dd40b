"""Split a task's data into what one run trains on, selects on and reports.

Which draws depend on the run's seed and which do not:
- the holdout carved from train for model selection: a fixed seed (the task's), so
  every run and every method selects on the same examples and never trains on them;
- `train_limit`: the run's seed, so seeds see different training samples;
- `eval_limit` (evaluation splits and the selection split): a fixed seed per split, so
  runs with different seeds or methods are scored on the same examples and can be paired.
Sampled examples keep their original order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.tasks.example import Example
from harness.tasks.fingerprint import data_fingerprints
from harness.tasks.loaders import load_split
from harness.tasks.schema import TaskDef
from harness.tasks.specs import Holdout

EVAL_SAMPLE_SEED = "eval-limit"  # fixed: evaluation samples never depend on the run's seed


@dataclass(frozen=True)
class TaskData:
    """The examples of one run, plus `info` (what was drawn) for the run record."""

    train: list[Example]
    selection: list[Example]
    evaluation: dict[str, list[Example]]
    info: dict[str, Any] = field(default_factory=dict)


def unreported_selection(data: TaskData) -> str | None:
    """The name a run's selection-split outputs are kept under ("holdout", or the selection split's name), or None
    when the selection split is also reported (CoNLL-2003 selects on validation): its outputs are there already."""
    name = "holdout" if data.info.get("selection") == "holdout" else data.info.get("selection")
    return None if name is None or name in data.evaluation else str(name)


def sample_in_order(examples: list[Example], size: int, rng: random.Random) -> list[Example]:
    """`size` examples drawn without replacement, in their original order."""
    if size >= len(examples):
        return list(examples)
    chosen = sorted(rng.sample(range(len(examples)), size))
    return [examples[i] for i in chosen]


def split_holdout(train: list[Example], holdout: Holdout) -> tuple[list[Example], list[Example]]:
    """(train pool, holdout): disjoint, the same for every run of the task."""
    if len(train) < 2:
        raise HarnessError(f"cannot hold out selection examples from a train split of {len(train)} example(s)")
    size = holdout.size_for(len(train))
    chosen = set(random.Random(holdout.seed).sample(range(len(train)), size))
    pool = [ex for i, ex in enumerate(train) if i not in chosen]
    held = [ex for i, ex in enumerate(train) if i in chosen]
    return pool, held


def _check_limit(value: int | None, name: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise HarnessError(f"{name} must be a positive number of examples, got {value!r}")


def needed_splits(task: TaskDef, fold: int | None = None) -> list[str]:
    """The splits a run of `task` reads: train, a named selection split, and the evaluation splits."""
    train_split, selection = task.train_split, task.selection
    if fold is not None and 0 <= fold < len(task.folds):
        train_split, selection = task.folds[fold].train, task.folds[fold].selection
    named = [train_split, *([] if isinstance(selection, Holdout) else [selection]), *task.eval_splits]
    return list(dict.fromkeys(named))


def prepare_data(
    task: TaskDef,
    data_dir: str | Path | None,
    *,
    seed: int,
    train_limit: int | None = None,
    eval_limit: int | None = None,
    fold: int | None = None,
) -> TaskData:
    """Load and draw a run's train, selection and evaluation examples.

    `fold` picks one of the task's fixed few-shot folds (FewCLUE train_k / dev_k) as the
    train and selection splits instead of the task's usual ones.
    """
    _check_limit(train_limit, "train_limit")
    _check_limit(eval_limit, "eval_limit")
    train_split, selection = task.train_split, task.selection
    if fold is not None:
        if not 0 <= fold < len(task.folds):
            raise HarnessError(f"task {task.name} has {len(task.folds)} fold(s); fold {fold} does not exist")
        train_split, selection = task.folds[fold].train, task.folds[fold].selection

    loaded: dict[str, list[Example]] = {}

    def load(split: str) -> list[Example]:  # CoNLL selects on a split it also reports
        if split not in loaded:
            loaded[split] = load_split(task, split, data_dir)
        return loaded[split]

    full_train = load(train_split)
    info: dict[str, Any] = {"train_split": train_split, "train_split_size": len(full_train), "fold": fold}
    if isinstance(selection, Holdout):
        pool, selection_examples = split_holdout(full_train, selection)
        info.update(selection="holdout", holdout_size=len(selection_examples), holdout_seed=selection.seed)
    else:
        pool, selection_examples = full_train, load(selection)
        info.update(selection=selection, holdout_size=None)

    train = pool
    if train_limit is not None:
        train = sample_in_order(pool, train_limit, random.Random(f"train-limit/{seed}"))
    evaluation = {split: load(split) for split in task.eval_splits}
    if eval_limit is not None:
        # Seeded by split name: a split used for both selection and reporting gets one sample.
        key = selection if isinstance(selection, str) else "holdout"
        selection_examples = sample_in_order(
            selection_examples, eval_limit, random.Random(f"{EVAL_SAMPLE_SEED}/{key}")
        )
        evaluation = {
            split: sample_in_order(examples, eval_limit, random.Random(f"{EVAL_SAMPLE_SEED}/{split}"))
            for split, examples in evaluation.items()
        }
    info.update(
        file_sha256=data_fingerprints(task, loaded, data_dir),
        seed=seed,
        train_limit=train_limit,
        eval_limit=eval_limit,
        train_pool_size=len(pool),
        train_size=len(train),
        selection_size=len(selection_examples),
        evaluation_sizes={split: len(examples) for split, examples in evaluation.items()},
    )
    return TaskData(train=train, selection=selection_examples, evaluation=evaluation, info=info)
