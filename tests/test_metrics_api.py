"""evaluate(), the registry and MetricReport."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.errors import HarnessError
from harness.metrics import LABELS, METRICS, Metric, MetricReport, evaluate, register_metric
from harness.metrics.classification import confusion_rows


def test_registry_names() -> None:
    assert set(METRICS) >= {
        "accuracy",
        "f1",
        "f1_macro",
        "matthews_correlation",
        "pearson",
        "spearman",
        "entity_f1",
        "entity_precision",
        "entity_recall",
    }


def test_unknown_metric_suggests_the_closest_name() -> None:
    with pytest.raises(HarnessError, match="unknown metric 'acuracy'; did you mean accuracy"):
        evaluate(["acuracy"], [0], [0])


def test_metrics_needing_different_inputs_are_refused() -> None:
    with pytest.raises(HarnessError, match="different kinds of predictions"):
        evaluate(["accuracy", "pearson"], [0, 1], [0, 1])


@pytest.mark.parametrize(("kwargs", "message"), [({"n_boot": -1}, "n_boot"), ({"confidence": 95}, "confidence")])
def test_bad_bootstrap_options(kwargs: dict, message: str) -> None:
    with pytest.raises(HarnessError, match=message):
        evaluate(["accuracy"], [0, 1], [0, 1], **kwargs)


def test_values_follow_the_order_asked_for() -> None:
    report = evaluate(["matthews_correlation", "f1", "accuracy"], [0, 1, 1], [0, 1, 0], n_boot=10)
    assert list(report.values) == ["matthews_correlation", "f1", "accuracy"]
    assert list(report.intervals) == list(report.values)


def test_report_to_dict_is_strict_json() -> None:
    report = evaluate(["f1", "accuracy"], [0, 0], [0, 0], n_boot=20)  # f1 is nan: no positives
    data = report.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["values"] == {"f1": None, "accuracy": 1.0}
    assert data["intervals"]["f1"] == [None, None]
    assert data["n"] == 2
    assert data["details"]["bootstrap"] == {"method": "percentile", "n_boot": 20, "seed": 0, "confidence": 0.95}


def test_report_dict_keeps_numpy_values_plain() -> None:
    report = MetricReport(values={"x": np.float64(0.5)}, intervals={"x": (np.float32(0.25), 1.0)},
                          details={"k": np.int64(3), "a": np.array([1, 2])}, n=4)
    assert report.to_dict() == {"values": {"x": 0.5}, "intervals": {"x": [0.25, 1.0]},
                                "details": {"k": 3, "a": [1, 2]}, "n": 4}


def test_a_metric_registered_from_outside() -> None:
    # error rate: 1 - accuracy, from the same confusion rows
    def error_rate(totals: np.ndarray) -> np.ndarray:
        k = int(np.sqrt(totals.shape[-1]))
        confusion = totals.reshape(*totals.shape[:-1], k, k)
        return 1 - np.trace(confusion, axis1=-2, axis2=-1) / confusion.sum(axis=(-2, -1))

    register_metric(Metric("error_rate", LABELS, confusion_rows, from_totals=error_rate, higher_is_better=False))
    try:
        report = evaluate(["error_rate", "accuracy"], [0, 1, 1, 1], [0, 1, 0, 0], n_boot=50)
        assert report.values["error_rate"] == pytest.approx(0.5)
        low, high = report.intervals["error_rate"]
        assert low <= 0.5 <= high
        with pytest.raises(ValueError, match="already registered"):
            register_metric(Metric("error_rate", LABELS, confusion_rows, from_totals=error_rate))
    finally:
        METRICS.unregister("error_rate")
