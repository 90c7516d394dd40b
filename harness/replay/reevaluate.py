"""Evaluate a recorded run's saved model again, in this one process, and compare with its record.

    report = reevaluate_run("results", "d31a773c9b25", data_dir=Path("../shared/data"))

No training: the model saved with `--save-model` is rebuilt, the run's variant applied, its
evaluation splits predicted and scored as the run did (harness.evaluation). This is how a
multi-process run (accelerate, torchrun) is checked against single-process evaluation of the
same weights, and how a saved model is checked to still give its recorded numbers.
"""

from __future__ import annotations

from pathlib import Path

from harness.evaluation import evaluate_splits
from harness.record.saved_model import open_saved_run
from harness.record.store import ResultStore
from harness.replay.recorded import find_record, read_run
from harness.replay.verify import Verification, compare_metrics, compare_rows
from harness.tasks import unreported_selection


def reevaluate_run(results: Path | str, run_id: str, *, data_dir: Path | None = None, device: str | None = None,
                   tasks_dirs: list[Path] | None = None) -> Verification:
    path = find_record(Path(results), run_id)
    record, spec, task = read_run(path, tasks_dirs)
    store = ResultStore(path.parent.parent)
    saved = open_saved_run(store, record, task, data_dir=data_dir, device=device,
                           missing="it cannot be evaluated again without training; record it with --save-model, "
                                   "or drop --eval-only to repeat the whole run")
    recorded = store.load_predictions(task.name, record["run_id"])
    name = unreported_selection(saved.data)
    kept = name is not None and any(row.get("split") == name for row in recorded)  # older records kept none
    evaluated = evaluate_splits(task, saved.data.evaluation, saved.predictor, seed=spec.seed,
                                selection=(name, saved.data.selection) if kept else None)
    report = Verification(record["run_id"], task.name)
    compare_metrics(record["metrics"], evaluated.metrics, report)
    compare_rows(recorded, evaluated.rows, report)
    return report
