"""Evaluate a recorded run's saved model again, in this one process, and compare with its record.

    report = reevaluate_run("results", "d31a773c9b25", data_dir=Path("../shared/data"))

No training: the model saved with `--save-model` is rebuilt, the run's variant applied, its
evaluation splits predicted and scored as the run did. This is how a multi-process run
(accelerate, torchrun) is checked against single-process evaluation of the same weights,
and how a saved model is checked to still give its recorded numbers.
"""

from __future__ import annotations

from pathlib import Path

from harness.device import resolve_device
from harness.encode import encode
from harness.errors import HarnessError
from harness.predict import evaluation_batch_size, predict, prediction_rows
from harness.record.store import ResultStore
from harness.record.verify import Verification, compare_metrics, compare_rows, find_record, read_run
from harness.scoring import score_predictions
from harness.tasks import prepare_data


def reevaluate_run(results: Path | str, run_id: str, *, data_dir: Path | None = None, device: str | None = None,
                   tasks_dirs: list[Path] | None = None) -> Verification:
    from harness.artifact import load_trained  # loads transformers and peft: only when used
    from harness.variants import apply_variant

    path = find_record(Path(results), run_id)
    record, spec, task = read_run(path, tasks_dirs)
    if not record.get("artifact"):
        raise HarnessError(f"run {record['run_id']} has no saved model, so it cannot be evaluated again without "
                           "training; record it with --save-model, or drop --eval-only to repeat the whole run")
    store = ResultStore(path.parent.parent)
    trained = load_trained(store.root / record["artifact"])
    target = resolve_device(device)
    model = trained.model.to(target)
    if spec.variant:
        model = apply_variant(spec.variant, model, target, method=spec.method)
    data = prepare_data(task, data_dir, seed=spec.seed, train_limit=spec.train_limit, eval_limit=spec.eval_limit,
                        fold=spec.fold)
    tokenizer, is_decoder = trained.loaded.tokenizer, trained.loaded.is_decoder
    fallback = task.labels.index("O") if "O" in task.labels else 0
    metrics, rows = {}, []
    for split, examples in data.evaluation.items():
        features = encode(examples, tokenizer, task.kind, spec.max_length, is_decoder, task.word_separator)
        predictions = predict(model, features, kind=task.kind, pad_id=tokenizer.pad_token_id,
                              batch_size=evaluation_batch_size(spec.training), device=target, fallback_tag=fallback)
        metrics[split] = score_predictions(task, task.metrics, predictions.values, examples, seed=spec.seed).to_dict()
        rows.extend(prediction_rows(task, split, examples, predictions))
    report = Verification(record["run_id"], task.name)
    compare_metrics(record["metrics"], metrics, report)
    compare_rows(store.load_predictions(task.name, record["run_id"]), rows, report)
    return report
