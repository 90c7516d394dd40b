"""Cost of an `evaluate` metric named in a task file (evaluate:./path) against the built-in metric it matches.

    python benchmarks/evaluate_metric_cost.py

On recorded predictions in results/ (a MiniLM LoRA run on MRPC; a CoNLL-2003 run): seconds to
score with 1000 bootstrap resamples, built-in against the evaluate module the tests write, and
one call of the module's public compute() against its _compute (what each resample costs).
Prints both values, which agree.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from hf_metric_modules import BINARY_F1, SEQEVAL_F1, TAG_FEATURES, write_metric

from harness.metrics import LABELS, TAGS, evaluate
from harness.metrics.evaluate_metric import register_evaluate_metric
from harness.record.store import ResultStore


def recorded(task: str, method: str | None = None) -> tuple[list, list]:
    store = ResultStore(REPO / "results")
    for path in sorted((REPO / "results" / task).glob("*.json")):
        run_id = path.stem
        if store.predictions_path(task, run_id).exists() and (method is None or f'"method": "{method}"' in
                                                               path.read_text()):
            rows = [r for r in store.load_predictions(task, run_id) if r["split"] == "validation"]
            return [r["prediction"] for r in rows], [r["reference"] for r in rows]
    raise SystemExit(f"no recorded run of {task} with predictions in results/")


def timed(names: list[str], predictions: list, references: list, **options) -> tuple[float, dict]:
    start = time.perf_counter()
    report = evaluate(names, predictions, references, n_boot=1000, seed=0, **options)
    return time.perf_counter() - start, report.values


def per_call(name: str, predictions: list, references: list) -> tuple[float, float]:
    from harness.metrics import get_metric

    adapter = get_metric(name).from_rows.__self__
    inputs = {"predictions": predictions, "references": references}
    seconds = []
    for fn in (adapter.module.compute, adapter.module._compute):
        start = time.perf_counter()
        for _ in range(20):
            fn(**inputs)
        seconds.append((time.perf_counter() - start) / 20)
    return seconds[0], seconds[1]


def compare(label: str, builtin: str, name: str, predictions: list, references: list, **options) -> None:
    ours, value = timed([builtin], predictions, references, **options)
    theirs, other = timed([name], predictions, references, **options)
    public, private = per_call(name, predictions, references)
    print(f"{label}: built-in {builtin} {ours:.2f} s, evaluate module {theirs:.2f} s for 1000 resamples "
          f"(values {value[builtin]:.6f} / {other[name]:.6f}); one compute() {public * 1000:.1f} ms, "
          f"one _compute {private * 1000:.2f} ms")


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    write_metric(folder / "bench_f1.py", BINARY_F1.replace("'f1'", "'bench_f1'"), cls="BenchF1")
    write_metric(folder / "bench_entity_f1.py", SEQEVAL_F1, cls="BenchEntityF1", features=TAG_FEATURES)
    register_evaluate_metric("evaluate:./bench_f1.py", folder, LABELS, "text_pair_classification")
    register_evaluate_metric("evaluate:./bench_entity_f1.py", folder, TAGS, "token_classification")
    predictions, references = recorded("mrpc", "lora")
    compare(f"MRPC ({len(references)} examples)", "f1", "evaluate:./bench_f1.py", predictions, references,
            num_classes=2)
    predictions, references = recorded("conll2003")
    compare(f"CoNLL-2003 ({len(references)} sentences)", "entity_f1", "evaluate:./bench_entity_f1.py",
            predictions, references, ner_mode="conlleval")


if __name__ == "__main__":
    main()
