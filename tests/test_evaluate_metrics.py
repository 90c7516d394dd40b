"""Hugging Face `evaluate` metrics named in task files (evaluate:./path): loaded from modules the tests write,
recorded by a real run with intervals, and equal to the built-in metric on real recorded predictions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hf_metric_modules import (
    ACCURACY,
    SENTENCE_MATCH,
    TAG_FEATURES,
    write_accuracy_and_f1,
    write_metric,
)
from user_tasks import SENTIMENT, write_user_tasks

from harness.cli.main import main
from harness.errors import HarnessError
from harness.metrics import LABELS, METRICS, TAGS, evaluate
from harness.metrics.evaluate_metric import pick_number, register_evaluate_metric
from harness.metrics.evaluate_module import EvaluateTarget
from harness.record.store import ResultStore
from harness.tasks import validate_task_file
from harness.tasks.recorded_metrics import register_recorded_metrics
from harness.tasks.validate import content_hash

REPO = Path(__file__).resolve().parents[1]
HF_ACCURACY = "evaluate:./metrics/hf_accuracy.py"
HF_F1 = "evaluate:./metrics/hf_binary_f1#f1"  # a folder; the module returns f1 and support: pick f1


def test_a_run_records_evaluate_metrics_with_intervals(env, encoder_dir):
    tasks = env / "my_tasks"
    write_accuracy_and_f1(tasks / "metrics")
    (tasks / "sentiment.yaml").write_text(SENTIMENT.replace(
        "metrics: [accuracy, f1]", f'metrics: [accuracy, f1, "{HF_ACCURACY}", "{HF_F1}"]'))
    assert main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--epochs", "1", "--quiet",
                 "--output", str(env / "results")]) == 0
    (path,) = (env / "results" / "tiny-sentiment").glob("*.json")
    record = json.loads(path.read_text())
    scores = record["metrics"]["dev"]
    assert record["task"]["metrics"] == ["accuracy", "f1", HF_ACCURACY, HF_F1]
    for ours, theirs in (("accuracy", HF_ACCURACY), ("f1", HF_F1)):
        assert scores["values"][theirs] == pytest.approx(scores["values"][ours], abs=1e-12)
        low, high = scores["intervals"][theirs]
        assert low <= scores["values"][theirs] <= high
        assert (low, high) == pytest.approx(tuple(scores["intervals"][ours]), abs=1e-12)

    # a command that reads only records (regress) loads the metrics from the task file the run recorded
    METRICS.unregister(HF_ACCURACY)
    register_recorded_metrics([record])
    assert HF_ACCURACY in METRICS
    assert main(["regress", "--baseline", str(env / "results"), "--candidate", str(env / "results")]) == 0
    (tasks / "sentiment.yaml").write_text((tasks / "sentiment.yaml").read_text().replace("max_length: 32",
                                                                                        "max_length: 30"))
    METRICS.unregister(HF_ACCURACY)
    with pytest.raises(HarnessError, match="changed since run"):
        register_recorded_metrics([record])


def _recorded_mrpc_run() -> tuple[dict, list[dict]]:
    """A fine-tuned MiniLM run on MRPC recorded in the repository, with its per-example predictions."""
    store = ResultStore(REPO / "results")
    for path in sorted((REPO / "results" / "mrpc").glob("*.json")):
        record = json.loads(path.read_text())
        if record["spec"]["method"] == "lora" and store.predictions_path("mrpc", record["run_id"]).exists():
            return record, store.load_predictions("mrpc", record["run_id"])
    pytest.skip("no recorded LoRA run on MRPC in results/")


def test_evaluate_modules_agree_with_the_builtins_on_real_predictions(tmp_path):
    record, rows = _recorded_mrpc_run()
    write_accuracy_and_f1(tmp_path / "metrics")
    for name in (HF_ACCURACY, HF_F1):
        register_evaluate_metric(name, tmp_path, LABELS, "text_pair_classification")
    rows = [row for row in rows if row["split"] == "validation"]
    predictions, references = [r["prediction"] for r in rows], [r["reference"] for r in rows]
    recorded = record["metrics"]["validation"]
    bootstrap = recorded["details"]["bootstrap"]

    report = evaluate(["f1", "accuracy", HF_F1, HF_ACCURACY], predictions, references, num_classes=2,
                      n_boot=bootstrap["n_boot"], seed=bootstrap["seed"], confidence=bootstrap["confidence"])

    assert len(rows) == recorded["n"] == 408
    for ours, theirs in (("accuracy", HF_ACCURACY), ("f1", HF_F1)):
        assert report.values[theirs] == pytest.approx(recorded["values"][ours], abs=1e-12)
        assert report.intervals[theirs] == pytest.approx(tuple(recorded["intervals"][ours]), abs=1e-12)
        assert report.intervals[theirs][0] < report.intervals[theirs][1]


def test_token_tasks_give_the_metric_tag_strings_per_sentence(tmp_path):
    write_metric(tmp_path / "sentence_match.py", SENTENCE_MATCH, features=TAG_FEATURES)
    name = "evaluate:./sentence_match.py"
    register_evaluate_metric(name, tmp_path, TAGS, "token_classification")
    references = [["B-PER", "I-PER", "O"], ["B-LOC"], ["O", "O"]]
    predictions = [["B-PER", "I-PER", "O"], ["O"], ["O", "O"]]
    report = evaluate([name, "entity_f1"], predictions, references, n_boot=50)
    assert report.values[name] == pytest.approx(2 / 3)
    low, high = report.intervals[name]
    assert 0 <= low <= high <= 1


def test_the_task_hash_holds_the_metric_code(env):
    tasks = env / "my_tasks"
    write_metric(tasks / "metrics" / "hash_probe.py", ACCURACY, cls="HashProbe")
    text = SENTIMENT.replace("metrics: [accuracy, f1]", 'metrics: [accuracy, "evaluate:./metrics/hash_probe.py"]')
    (tasks / "sentiment.yaml").write_text(text)
    task = validate_task_file(tasks / "sentiment.yaml")
    plain = content_hash({key: value for key, value in task.raw.items() if key != "prompts"})
    assert task.hash != plain  # the script's sha256 is part of the definition, not only its name
    assert validate_task_file(tasks / "sentiment.yaml").hash == task.hash  # loaded once, same identity


def test_one_name_cannot_stand_for_two_metric_scripts(tmp_path):
    for folder, body in (("a", ACCURACY), ("b", ACCURACY + "  # changed")):
        write_metric(tmp_path / folder / "twin_metric.py", body, cls="TwinMetric")
    register_evaluate_metric("evaluate:./twin_metric.py", tmp_path / "a", LABELS, "text_classification")
    with pytest.raises(HarnessError, match="two different metric scripts"):
        register_evaluate_metric("evaluate:./twin_metric.py", tmp_path / "b", LABELS, "text_classification")


@pytest.mark.parametrize(("written", "result", "expected"), [
    ("evaluate:accuracy", {"accuracy": 0.5, "total": 10}, 0.5),  # the key named like the metric
    ("evaluate:./my_score.py", {"score": np.float32(0.25)}, 0.25),  # else the only number
    ("evaluate:./glue#f1", {"accuracy": 0.5, "f1": 0.75}, 0.75),  # else the key after '#'
])
def test_which_number_of_a_result_is_the_score(written, result, expected):
    assert pick_number(result, _target(written), "x") == expected


@pytest.mark.parametrize(("written", "result", "message"), [
    ("evaluate:glue", {"accuracy": 0.5, "f1": 0.75}, "pick one key with evaluate:glue#KEY"),
    ("evaluate:glue#mcc", {"accuracy": 0.5}, "no key 'mcc'"),
    ("evaluate:x", None, "returned no number"),
    ("evaluate:x", {}, "returned no number"),
    ("evaluate:x", {"x": "high"}, "returned no number"),
    ("evaluate:x", {"x": True}, "returned no number"),
])
def test_a_result_without_one_number_is_refused(written, result, message):
    with pytest.raises(HarnessError, match=message):
        pick_number(result, _target(written), "x")


def _target(written: str) -> EvaluateTarget:
    body, _, key = written[len("evaluate:"):].partition("#")
    return EvaluateTarget(written, body, body.startswith("."), key or None)


def test_user_tasks_still_validate_without_evaluate_metrics(tmp_path):
    task = validate_task_file(write_user_tasks(tmp_path / "t") / "sentiment.yaml")
    assert task.hash == content_hash({key: value for key, value in task.raw.items() if key != "prompts"})
