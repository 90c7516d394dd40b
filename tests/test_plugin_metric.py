"""A metric registered from outside the harness counts like a built-in: tasks may name it, runs compute it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from plugins import installed_plugin

from harness.cli.main import main
from harness.errors import HarnessError
from harness.metrics import LABELS, METRICS, Metric, register_metric
from harness.metrics.classification import confusion_rows
from harness.tasks import metrics_for, validate_task_file


def error_rate(totals: np.ndarray) -> np.ndarray:
    """1 - accuracy, from the same confusion-matrix rows accuracy reads."""
    k = int(np.sqrt(totals.shape[-1]))
    confusion = totals.reshape(*totals.shape[:-1], k, k)
    return 1 - np.trace(confusion, axis1=-2, axis2=-1) / confusion.sum(axis=(-2, -1))


ERROR_RATE = Metric("error_rate", LABELS, confusion_rows, from_totals=error_rate, higher_is_better=False)


@pytest.fixture
def plugin_metric():
    register_metric(ERROR_RATE)
    yield ERROR_RATE
    METRICS.unregister(ERROR_RATE.name)


def _name_metric(env, task: str, metrics: str, named: str):
    """The tests' own task file `task` with its `metrics:` line replaced."""
    path = env / "my_tasks" / f"{task}.yaml"
    text = path.read_text()
    assert metrics in text
    path.write_text(text.replace(metrics, named))
    return path


def test_validate_accepts_a_plugin_metric_and_refuses_it_unregistered(env, plugin_metric, capsys):
    path = _name_metric(env, "sentiment", "metrics: [accuracy, f1]", "metrics: [accuracy, f1, error_rate]")
    assert main(["tasks", "validate", str(path)]) == 0
    assert "ok: task tiny-sentiment" in capsys.readouterr().out
    assert metrics_for("text_classification")[-1] == "error_rate" and "error_rate" not in metrics_for("regression")
    METRICS.unregister("error_rate")
    try:
        assert main(["tasks", "validate", str(path)]) == 2
        assert "metric names from accuracy" in capsys.readouterr().err
    finally:
        register_metric(ERROR_RATE)


def test_a_plugin_metric_fits_only_tasks_whose_predictions_it_reads(env, plugin_metric):
    path = _name_metric(env, "similarity", "metrics: [pearson, spearman]", "metrics: [pearson, error_rate]")
    with pytest.raises(HarnessError, match=r"metrics for a regression task \(pearson, spearman\)"):
        validate_task_file(path)


def test_a_run_computes_the_plugin_metric(env, encoder_dir, plugin_metric):
    _name_metric(env, "sentiment", "metrics: [accuracy, f1]", "metrics: [accuracy, error_rate]")
    assert main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--results", str(env / "results"),
                 "--epochs", "1", "--quiet"]) == 0
    (record_path,) = (env / "results" / "tiny-sentiment").glob("*.json")
    record = json.loads(record_path.read_text())
    values = record["metrics"]["dev"]["values"]
    assert values["error_rate"] == pytest.approx(1 - values["accuracy"])
    assert record["task"]["metric_versions"] == {"accuracy": 1, "error_rate": 1}


def test_a_metric_from_an_installed_package(tmp_path, monkeypatch):
    source = ("from harness.metrics import LABELS, Metric\n"
              "from harness.metrics.classification import accuracy, confusion_rows\n"
              "HIT_RATE = Metric('hit_rate', LABELS, confusion_rows, from_totals=accuracy)\n")
    with installed_plugin(monkeypatch, tmp_path, METRICS, "metric_plugin", source, "HIT_RATE"):
        assert "hit_rate" in metrics_for("text_pair_classification")
    assert "hit_rate" not in METRICS
