"""Tiny recorded teachers shared by the distillation test modules: fixtures and helpers."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from user_tasks import write_user_tasks

from harness.cli.main import main

TASKS = ("tiny-sentiment", "tiny-ner", "tiny-similarity")
TEACHER = ("--epochs", "3", "--lr", "0.001")  # a teacher a little better than chance
STUDENT = ("--epochs", "1", "--student-layers", "1")


def _new_record(results: Path, task: str, before: set[Path]) -> str:
    (path,) = set((results / task).glob("*.json")) - before
    return path.stem


def _record(results: Path, model: Path, task: str, *args: str) -> str:
    """Record one run in `results`; its run id."""
    before = set((results / task).glob("*.json"))
    assert main(["run", "--model", str(model), "--task", task, "--results", str(results), "--quiet", *args]) == 0
    return _new_record(results, task, before)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, encoder_dir, causal_lm_dir) -> dict:
    """Teachers recorded once for the module: a saved run per tiny task, two more saved seeds of tiny-sentiment
    and their output ensemble, a run without a saved model and a prompted run."""
    root = tmp_path_factory.mktemp("distill")
    tasks = write_user_tasks(root / "my_tasks")
    results = root / "results"
    ids: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_TASKS_PATH", str(tasks))
        patch.delenv("HARNESS_DATA_DIR", raising=False)
        for task in TASKS:
            ids[task] = _record(results, encoder_dir, task, *TEACHER, "--save-model")
        seeds = [ids["tiny-sentiment"]] + [_record(results, encoder_dir, "tiny-sentiment", *TEACHER, "--seed",
                                                   str(seed), "--save-model") for seed in (1, 2)]
        before = set((results / "tiny-sentiment").glob("*.json"))
        assert main(["ensemble", *seeds, "--results", str(results), "--n-boot", "200"]) == 0
        ids["ensemble"] = _new_record(results, "tiny-sentiment", before)
        ids["members"] = seeds
        ids["unsaved"] = _record(results, encoder_dir, "tiny-sentiment", "--epochs", "1", "--seed", "9")
        ids["prompted"] = _record(results, causal_lm_dir, "tiny-sentiment", "--method", "zero-shot")
    return {"root": root, "ids": ids}


@pytest.fixture()
def results(recorded, tmp_path, monkeypatch) -> Path:
    """A copy of the recorded runs this test may change, with the tests' tasks on the search path."""
    monkeypatch.setenv("HARNESS_TASKS_PATH", str(recorded["root"] / "my_tasks"))
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    shutil.copytree(recorded["root"] / "results", tmp_path / "results")
    return tmp_path / "results"


@pytest.fixture()
def ids(recorded) -> dict:
    return recorded["ids"]


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".locks" not in p.parts}


def _distil(capsys, results: Path, model: Path, task: str, teacher: str, *args: str) -> dict:
    """A distilled student recorded in `results`: its record."""
    capsys.readouterr()
    assert main(["run", "--model", str(model), "--task", task, "--results", str(results), "--quiet", "--json",
                 *STUDENT, "--distill-from", teacher, *args]) == 0
    return json.loads(capsys.readouterr().out)


def _load(results: Path, task: str, run_id: str) -> dict:
    return json.loads((results / task / f"{run_id}.json").read_text())


def _cache(results: Path, task: str, teacher: str) -> Path:
    return results / task / f"{teacher}.teacher-outputs.pt"
