"""prepare_data: which draws are fixed (holdout, evaluation samples) and which follow the seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import HarnessError
from harness.tasks import TaskDef, prepare_data, validate_task_file


def make_task(folder: Path, selection: Any = None, sizes: dict[str, int] | None = None, **extra: Any) -> TaskDef:
    """A task with ./ data files of numbered rows; row i of split s has text 's-i'."""
    sizes = sizes or {"train": 200, "validation": 60, "test": 50}
    folder.mkdir(parents=True, exist_ok=True)
    for split, size in sizes.items():
        rows = [json.dumps({"text": f"{split}-{i}", "label": str(i % 2)}) for i in range(size)]
        (folder / f"{split}.json").write_text("\n".join(rows) + "\n")
    raw = {
        "name": "numbers", "suite": "user", "description": "numbered rows", "kind": "text_classification",
        "max_length": 16, "fields": {"text": "text", "label": "label"}, "labels": ["0", "1"],
        "metrics": ["accuracy"], "headline": "accuracy",
        "data": {"format": "jsonl", "files": {split: f"./{split}.json" for split in sizes}},
        "splits": {"train": "train", "selection": selection or {"holdout": 20, "fraction": 0.5},
                   "evaluation": ["validation", "test"], "headline": "test", **extra},
    }
    (folder / "numbers.yaml").write_text(yaml.safe_dump(raw))
    return validate_task_file(folder / "numbers.yaml")


def ids(examples) -> list[str]:
    return [e.id for e in examples]


def test_holdout_is_fixed_disjoint_and_removed_from_train(tmp_path: Path) -> None:
    task = make_task(tmp_path)
    one = prepare_data(task, None, seed=1, train_limit=None, eval_limit=None)
    two = prepare_data(task, None, seed=2, train_limit=None, eval_limit=None)
    assert len(one.selection) == 20 and len(one.train) == 180
    assert ids(one.selection) == ids(two.selection)  # same holdout whatever the seed
    assert not set(ids(one.selection)) & set(ids(one.train))
    assert ids(one.train) == sorted(ids(one.train), key=lambda i: int(i.split("-")[1]))  # original order
    assert one.info["holdout_size"] == 20 and one.info["selection"] == "holdout"


def test_train_limit_follows_the_seed_and_never_touches_the_holdout(tmp_path: Path) -> None:
    task = make_task(tmp_path)
    runs = {seed: prepare_data(task, None, seed=seed, train_limit=30, eval_limit=None) for seed in (1, 2)}
    again = prepare_data(task, None, seed=1, train_limit=30, eval_limit=None)
    assert len(runs[1].train) == 30
    assert ids(runs[1].train) != ids(runs[2].train)
    assert ids(runs[1].train) == ids(again.train)  # same seed, same sample
    for data in runs.values():
        assert not set(ids(data.train)) & set(ids(data.selection))
        assert ids(data.train) == sorted(ids(data.train), key=lambda i: int(i.split("-")[1]))
    assert runs[1].info["train_size"] == 30 and runs[1].info["train_pool_size"] == 180


def test_eval_limit_draws_the_same_examples_for_every_seed(tmp_path: Path) -> None:
    task = make_task(tmp_path)
    one = prepare_data(task, None, seed=1, train_limit=10, eval_limit=15)
    two = prepare_data(task, None, seed=7, train_limit=10, eval_limit=15)
    for split in ("validation", "test"):
        assert len(one.evaluation[split]) == 15
        assert ids(one.evaluation[split]) == ids(two.evaluation[split])
    assert len(one.selection) == 15 and ids(one.selection) == ids(two.selection)
    assert ids(one.evaluation["test"]) != [f"test-{i}" for i in range(15)]  # sampled, not the first rows
    assert one.info["evaluation_sizes"] == {"validation": 15, "test": 15}


def test_limits_larger_than_the_data_keep_everything(tmp_path: Path) -> None:
    data = prepare_data(make_task(tmp_path), None, seed=0, train_limit=10_000, eval_limit=10_000)
    assert len(data.train) == 180 and len(data.evaluation["test"]) == 50


def test_selection_split_and_folds(tmp_path: Path) -> None:
    sizes = {"train": 40, "validation": 30, "test": 20, "train_0": 8, "dev_0": 6}
    task = make_task(tmp_path, selection="validation", sizes=sizes,
                     folds=[{"train": "train_0", "selection": "dev_0"}])
    data = prepare_data(task, None, seed=0, train_limit=None, eval_limit=10)
    assert len(data.train) == 40 and data.info["holdout_size"] is None
    assert ids(data.selection) == ids(data.evaluation["validation"])  # one sample per split
    fold = prepare_data(task, None, seed=0, train_limit=None, eval_limit=None, fold=0)
    assert ids(fold.train) == [f"train_0-{i}" for i in range(8)] and len(fold.selection) == 6
    with pytest.raises(HarnessError, match="task numbers has 1 fold\\(s\\); fold 3 does not exist"):
        prepare_data(task, None, seed=0, train_limit=None, eval_limit=None, fold=3)


def test_bad_limits_are_errors(tmp_path: Path) -> None:
    task = make_task(tmp_path)
    with pytest.raises(HarnessError, match="train_limit must be a positive number of examples, got 0"):
        prepare_data(task, None, seed=0, train_limit=0, eval_limit=None)
    with pytest.raises(HarnessError, match="eval_limit must be a positive number of examples, got -5"):
        prepare_data(task, None, seed=0, train_limit=None, eval_limit=-5)
