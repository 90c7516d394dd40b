"""Accuracy, binary F1, macro F1 and MCC: hand-computed cases, scikit-learn, degenerate inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

from harness.errors import HarnessError
from harness.metrics import evaluate, example_stats

NAMES = ["accuracy", "f1", "f1_macro", "matthews_correlation"]


def test_binary_hand_computed() -> None:
    # cells (ref, pred): (1,1) (0,1) (0,0) (1,1) (1,0) (0,0) -> tp=2 fp=1 fn=1 tn=2
    # accuracy = 4/6; F1 = 2*2 / (2*2 + 1 + 1) = 2/3; class 0 F1 = 2*2/(4+1+1) = 2/3 -> macro 2/3
    # MCC = (tp*tn - fp*fn) / sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn)) = (4 - 1) / sqrt(3*3*3*3) = 1/3
    report = evaluate(NAMES, [1, 1, 0, 1, 0, 0], [1, 0, 0, 1, 1, 0], n_boot=0)
    assert report.values["accuracy"] == pytest.approx(4 / 6)
    assert report.values["f1"] == pytest.approx(2 / 3)
    assert report.values["f1_macro"] == pytest.approx(2 / 3)
    assert report.values["matthews_correlation"] == pytest.approx(1 / 3)
    assert report.n == 6
    assert report.details["classes"] == {"0": {"support": 3, "predicted": 3}, "1": {"support": 3, "predicted": 3}}


def test_multiclass_hand_computed() -> None:
    # refs [0,1,2,2], preds [0,2,2,1]: accuracy 2/4
    # F1 per class: 0 -> 1; 1 -> 0 (tp 0); 2 -> 2*1/(2 gold + 2 predicted) = 0.5 -> macro 1.5/3 = 0.5
    # MCC: n=4, correct=2, t=p=[1,1,2]: (2*4 - 6) / sqrt((16 - 6) * (16 - 6)) = 2/10
    report = evaluate(["accuracy", "f1_macro", "matthews_correlation"], [0, 2, 2, 1], [0, 1, 2, 2], n_boot=0)
    assert report.values == pytest.approx({"accuracy": 0.5, "f1_macro": 0.5, "matthews_correlation": 0.2})


def test_macro_f1_averages_classes_seen_in_references_or_predictions() -> None:
    # class 3 never occurs (excluded, as scikit-learn does); class 1 only in references and
    # class 2 only in predictions both score 0: (1 + 0 + 0) / 3
    report = evaluate(["f1_macro"], [0, 0, 2], [0, 0, 1], num_classes=4, n_boot=0)
    assert report.values["f1_macro"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("num_classes", [2, 3, 7])
def test_agrees_with_scikit_learn_on_random_data(num_classes: int) -> None:
    rng = np.random.default_rng(num_classes)
    references = rng.integers(0, num_classes, 500)
    noise = rng.integers(0, num_classes, 500)
    predictions = np.where(rng.random(500) < 0.6, references, noise)
    names = NAMES if num_classes == 2 else [n for n in NAMES if n != "f1"]
    values = evaluate(names, predictions.tolist(), references.tolist(), n_boot=0).values
    assert values["accuracy"] == pytest.approx(accuracy_score(references, predictions), abs=1e-12)
    assert values["f1_macro"] == pytest.approx(f1_score(references, predictions, average="macro"), abs=1e-12)
    assert values["matthews_correlation"] == pytest.approx(matthews_corrcoef(references, predictions), abs=1e-12)
    if num_classes == 2:
        assert values["f1"] == pytest.approx(f1_score(references, predictions), abs=1e-12)


def test_all_one_class_does_not_crash() -> None:
    # no positive anywhere: binary F1 has no definition (nan); MCC follows scikit-learn (0)
    report = evaluate(NAMES, [0, 0, 0, 0], [0, 0, 0, 0], n_boot=50)
    assert report.values["accuracy"] == 1.0
    assert math.isnan(report.values["f1"])
    assert "no example is positive" in report.details["notes"]["f1"]
    assert report.values["matthews_correlation"] == 0.0
    assert "reported as 0" in report.details["notes"]["matthews_correlation"]
    assert report.values["f1_macro"] == 1.0
    assert math.isnan(report.intervals["f1"][0])


def test_constant_prediction_scores_zero_f1_and_mcc() -> None:
    # gold has positives, none predicted: F1 = 2*0 / (2 gold + 0) = 0 (defined); MCC 0 by convention
    references = [0, 1, 1, 0, 1]
    report = evaluate(NAMES, [0] * 5, references, n_boot=100)
    assert report.values["f1"] == 0.0 == f1_score(references, [0] * 5, zero_division=0)
    assert report.values["matthews_correlation"] == 0.0 == matthews_corrcoef(references, [0] * 5)
    assert "all predictions are one class" in report.details["notes"]["matthews_correlation"]


def test_empty_input_gives_nan_not_an_error() -> None:
    report = evaluate(NAMES, [], [], n_boot=10)
    assert report.n == 0
    assert all(math.isnan(v) for v in report.values.values())
    assert report.details["notes"]["accuracy"] == "no examples to score"


def test_rows_are_one_hot_confusion_cells() -> None:
    rows = example_stats("accuracy", [1, 0, 2], [1, 2, 2], num_classes=3)
    assert rows.shape == (3, 9)
    assert rows.sum(axis=1).tolist() == [1, 1, 1]
    # example 1: reference 2, prediction 0 -> cell 2*3 + 0
    assert rows[1].argmax() == 6


def test_labels_as_numpy_and_bools_are_accepted() -> None:
    report = evaluate(["accuracy"], np.array([True, False]), np.array([1, 0], dtype=np.int8), n_boot=0)
    assert report.values["accuracy"] == 1.0


@pytest.mark.parametrize(
    ("predictions", "references", "message"),
    [
        ([0, 1], [0, 1, 1], "2 predictions for 3 references"),
        ([0.5, 1.0], [0, 1], "integer class indices"),
        ([0, 1], [0, -1], "negative label"),
        (["a", "b"], [0, 1], "integer class indices"),
    ],
)
def test_bad_labels_raise_one_line_errors(predictions: list, references: list, message: str) -> None:
    with pytest.raises(HarnessError, match=message):
        evaluate(["accuracy"], predictions, references)


def test_binary_f1_refuses_more_than_two_classes() -> None:
    with pytest.raises(HarnessError, match="use f1_macro"):
        evaluate(["f1"], [0, 1, 2], [0, 1, 2])


def test_num_classes_smaller_than_a_label_is_an_error() -> None:
    with pytest.raises(HarnessError, match="out of range for 2 classes"):
        example_stats("accuracy", [0, 2], [0, 1], num_classes=2)
