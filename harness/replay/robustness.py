"""Robustness of runs already recorded: their saved models evaluated on perturbed data, or attacked.

A run saved with `--save-model` is rebuilt from its artifact, evaluated again on the same
evaluation examples (clean and perturbed, or clean and attacked), and its record gains a
`robustness` section (and an `attack` section), replacing the one it had.
The clean predictions are recomputed, not read back, so clean and perturbed come from the
same model in the same process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.evaluation import evaluate_splits
from harness.record import strict_json
from harness.record.environment import git_commit, utc_timestamp
from harness.record.saved_model import open_saved_run
from harness.record.store import ResultStore, atomic_replace, atomic_write, gzipped_rows
from harness.remedy.prepare import seen_perturbations
from harness.tasks import load_task


def add_robustness(store: ResultStore, path: Path, record: dict[str, Any], perturb: str | None,
                   data_dir: Path | None = None, device: str | None = None,
                   tasks_dirs: list[Path] | None = None, attack: dict[str, Any] | None = None) -> dict[str, Any]:
    """Evaluate the run's saved model on `perturb` (and/or under `attack`, the spec's attack entry) for every
    evaluation split; rewrite its record."""
    spec = record["spec"]
    task = load_task(record["task"].get("path") or spec["task"], tasks_dirs)
    if task.hash != record["task"]["hash"]:
        raise HarnessError(f"run {record['run_id']}: the task definition of {task.name} changed since it was "
                           "recorded; its saved model would be scored on other data")
    saved = open_saved_run(store, record, task, data_dir=data_dir, device=device,
                           missing="rerun it with --save-model, or use `harness run --perturb`")
    evaluated = evaluate_splits(task, saved.data.evaluation, saved.predictor, seed=spec["seed"], n_boot=0,
                                perturb=perturb, train=saved.data.train,
                                seen=seen_perturbations(spec.get("remedy"), task, saved.data.train), attack=attack)
    updated = dict(record)
    # the per-example rows first: a record never names perturbations or attacks whose rows are missing
    if perturb:
        updated["robustness"] = evaluated.robustness
        atomic_replace(store.perturbed_path(task.name, record["run_id"]), gzipped_rows(evaluated.perturbed_rows))
    if attack:
        # the record's environment names the code that trained it; this names the code that attacked it
        updated["attack"] = {split: {**report, "added_by": {"git": git_commit(), "at": utc_timestamp()}}
                             for split, report in evaluated.attacks.items()}
        atomic_replace(store.attacked_path(task.name, record["run_id"]), gzipped_rows(evaluated.attacked_rows))
    atomic_write(path, [strict_json.dumps(updated, indent=2) + "\n"])
    return updated
