"""Robustness of runs already recorded: their saved models evaluated on perturbed data.

A run saved with `--save-model` is rebuilt from its artifact, evaluated again on the same
evaluation examples (clean and perturbed), and its record gains a `robustness` section.
The clean predictions are recomputed, not read back, so clean and perturbed come from the
same model in the same process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


from harness.artifact import load_trained
from harness.device import resolve_device
from harness.encode import encode
from harness.errors import HarnessError
from harness.predict import predict
from harness.record.store import ResultStore, atomic_write
from harness.robustness.evaluate import evaluate_robustness
from harness.tasks import load_task, prepare_data


def add_robustness(store: ResultStore, path: Path, record: dict[str, Any], perturb: str,
                   data_dir: Path | None = None, device: str | None = None) -> dict[str, Any]:
    """Evaluate the run's saved model on `perturb` for every evaluation split; rewrite its record."""
    spec = record["spec"]
    if not record.get("artifact"):
        raise HarnessError(f"run {record['run_id']} ({spec['task']} · {spec['model']} · {spec['method']}) has no "
                           "saved model: rerun it with --save-model, or use `harness run --perturb`")
    task = load_task(record["task"].get("path") or spec["task"])
    if task.hash != record["task"]["hash"]:
        raise HarnessError(f"run {record['run_id']}: the task definition of {task.name} changed since it was "
                           "recorded; its saved model would be scored on other data")
    trained = load_trained(store.root / record["artifact"])
    target = resolve_device(device)
    model = trained.model.to(target)
    data = prepare_data(task, data_dir, seed=spec["seed"], train_limit=spec.get("train_limit"),
                        eval_limit=spec.get("eval_limit"), fold=spec.get("fold"))
    loaded = trained.loaded
    fallback = task.labels.index("O") if "O" in task.labels else 0

    def predict_values(examples):
        features = encode(examples, loaded.tokenizer, task.kind, spec["max_length"], loaded.is_decoder,
                          task.word_separator)
        return predict(model, features, kind=task.kind, pad_id=loaded.tokenizer.pad_token_id, batch_size=64,
                       device=target, fallback_tag=fallback).values

    robustness = {split: evaluate_robustness(task, perturb, spec["seed"], examples, predict_values(examples),
                                             data.train, predict_values)
                  for split, examples in data.evaluation.items()}
    updated = {**record, "robustness": robustness}
    atomic_write(path, [json.dumps(updated, indent=2, ensure_ascii=False) + "\n"])
    return updated
