"""A recorded run's saved model rebuilt beside the data it was evaluated on, ready to predict again.

    saved = open_saved_run(store, record, task, data_dir=None, device=None, missing="how to get one")
    predictions = saved.predictor(saved.data.evaluation["validation"])

Used where a saved model is evaluated without training: `harness verify --eval-only`
(harness/replay/reevaluate.py) and robustness of recorded runs (harness/replay/robustness.py).
The data must be the files the run read (their fingerprints are checked), and predictions
use the run's own evaluation batch size, so they compare with the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from harness.device import resolve_device
from harness.encode import encode
from harness.errors import HarnessError
from harness.predict import Predictions, evaluation_batch_size, predict
from harness.record.store import ResultStore
from harness.tasks import Example, TaskData, TaskDef, prepare_data
from harness.tasks.fingerprint import check_same_data


@dataclass
class SavedRun:
    task: TaskDef
    spec: dict[str, Any]
    data: TaskData
    model: nn.Module
    tokenizer: Any
    is_decoder: bool
    device: Any

    def predictor(self, examples: Sequence[Example], split: str = "", perturbed: bool = False) -> Predictions:
        """Predictions on `examples` (a harness.evaluation predictor)."""
        task = self.task
        features = encode(examples, self.tokenizer, task.kind, self.spec["max_length"], self.is_decoder,
                          task.word_separator)
        return predict(self.model, features, kind=task.kind, pad_id=self.tokenizer.pad_token_id,
                       batch_size=evaluation_batch_size(self.spec["training"]), device=self.device,
                       fallback_tag=task.labels.index("O") if "O" in task.labels else 0)


def saved_model_folder(store: ResultStore, record: dict[str, Any]) -> Path:
    """Where the run's saved model is; HarnessError saying how to recreate it when it is not there."""
    folder = store.root / record["artifact"]
    if not folder.is_dir() and record.get("fusion"):
        members = " ".join(m["run_id"] for m in record["fusion"].get("members", []))
        raise HarnessError(f"run {record['run_id']} is a merge whose saved model {folder} is not there (results from "
                           f"git hold records, not weights): make it again with `harness merge {members} --force` "
                           "and the same settings, once its members' saved models are there")
    if not folder.is_dir():
        raise HarnessError(f"run {record['run_id']} was saved with --save-model, but {folder} is not there (results "
                           "from git hold records, not weights): recreate it by rerunning the same run with "
                           "--save-model --force, which repeats its record on CPU")
    return folder


def open_saved_run(store: ResultStore, record: dict[str, Any], task: TaskDef, *, data_dir: Path | None,
                   device: str | None, missing: str) -> SavedRun:
    """Rebuild the run's saved model (with its variant, if it had one) and draw its evaluation data again.

    `missing` says what to do when the run has no saved model."""
    from harness.artifact import load_trained  # loads transformers and peft: only when used
    from harness.variants import apply_variant

    spec = record["spec"]
    if not record.get("artifact"):
        raise HarnessError(f"run {record['run_id']} ({task.name} · {spec['model']} · {spec['method']}) has no saved "
                           f"model; {missing}")
    check_same_data(record, task, data_dir)
    trained = load_trained(saved_model_folder(store, record))
    target = resolve_device(device)
    model = trained.model.to(target)
    if spec.get("variant"):
        model = apply_variant(spec["variant"], model, target, method=spec["method"])
    seed = spec["seed"] if spec.get("init_seed") is None else spec["init_seed"]  # the sample it trained on
    data = prepare_data(task, data_dir, seed=seed, train_limit=spec.get("train_limit"),
                        eval_limit=spec.get("eval_limit"), fold=spec.get("fold"))
    return SavedRun(task, spec, data, model, trained.loaded.tokenizer, trained.loaded.is_decoder, target)
