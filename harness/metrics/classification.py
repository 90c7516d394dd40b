"""Accuracy, binary F1, macro F1 and Matthews correlation from one confusion matrix.

Per-example row: a one-hot vector of length K*K marking the example's cell
(reference * K + prediction) of the confusion matrix; summing rows gives the confusion
matrix (rows = reference, columns = prediction). K is `num_classes` when given, else
one more than the largest label seen: pass `num_classes` when two runs' rows must line up.

Conventions follow scikit-learn, except that a value with no definition at all is nan
instead of a silent 0: binary F1 when no example is positive in references or
predictions, and anything on zero examples. MCC of a constant prediction (or constant
references) is 0, as scikit-learn and GLUE's CoLA leaderboard report it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from harness.errors import HarnessError
from harness.metrics.base import check_same_length, divide

POSITIVE = 1  # binary F1 scores class index 1, as GLUE does for MRPC and QQP


def _as_labels(values: Sequence[int], what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.ndim != 1:
        raise HarnessError(f"{what} must be a flat list of class indices, got shape {array.shape}")
    if array.dtype.kind == "b":
        array = array.astype(np.int64)
    if array.dtype.kind not in "iuf" or (array.dtype.kind == "f" and not np.all(array == np.round(array))):
        raise HarnessError(f"{what} must be integer class indices (e.g. 0, 1), got {array[:3].tolist()}...")
    array = array.astype(np.int64)
    if array.min() < 0:
        raise HarnessError(
            f"{what} contain the negative label {array.min()}; drop unlabelled examples before scoring"
        )
    return array


def confusion_rows(
    predictions: Sequence[int], references: Sequence[int], *, num_classes: int | None = None, **_: object
) -> np.ndarray:
    """One one-hot row of length K*K per example (see the module docstring)."""
    check_same_length(predictions, references)
    pred = _as_labels(predictions, "predictions")
    ref = _as_labels(references, "references")
    seen = int(max(pred.max(initial=-1), ref.max(initial=-1))) + 1
    k = max(seen, 1) if num_classes is None else num_classes
    if seen > k:
        raise HarnessError(f"label {seen - 1} is out of range for {k} classes; check num_classes")
    rows = np.zeros((len(pred), k * k), dtype=float)
    rows[np.arange(len(pred)), ref * k + pred] = 1.0
    return rows


def binary_confusion_rows(predictions: Sequence[int], references: Sequence[int], **_: object) -> np.ndarray:
    """Confusion rows with K = 2; binary F1 makes no sense on more classes."""
    check_same_length(predictions, references)
    pred = _as_labels(predictions, "predictions")
    ref = _as_labels(references, "references")
    if max(pred.max(initial=0), ref.max(initial=0)) > 1:
        raise HarnessError("f1 is binary F1 of class 1 and needs labels 0/1; use f1_macro for more classes")
    return confusion_rows(pred, ref, num_classes=2)


def _confusion(totals: np.ndarray) -> np.ndarray:
    k = math.isqrt(totals.shape[-1])
    return totals.reshape(*totals.shape[:-1], k, k)


def _counts(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(n, correct, per-class reference counts, per-class prediction counts)."""
    confusion = _confusion(totals)
    reference = confusion.sum(axis=-1)
    predicted = confusion.sum(axis=-2)
    correct = np.trace(confusion, axis1=-2, axis2=-1)
    return reference.sum(axis=-1), correct, reference, predicted


def accuracy(totals: np.ndarray) -> np.ndarray:
    n, correct, _, _ = _counts(totals)
    return divide(correct, n, when_zero=np.nan)


def f1_binary(totals: np.ndarray) -> np.ndarray:
    confusion = _confusion(totals)
    tp = confusion[..., POSITIVE, POSITIVE]
    gold = confusion[..., POSITIVE, :].sum(axis=-1)
    predicted = confusion[..., :, POSITIVE].sum(axis=-1)
    # 2TP / (2TP + FP + FN) = 2TP / (gold + predicted): equals 2PR/(P+R) whenever defined
    return divide(2 * tp, gold + predicted, when_zero=np.nan)


def f1_macro(totals: np.ndarray) -> np.ndarray:
    """Mean F1 over classes present in references or predictions (scikit-learn's labels)."""
    confusion = _confusion(totals)
    _, _, reference, predicted = _counts(totals)
    tp = np.diagonal(confusion, axis1=-2, axis2=-1)
    present = (reference + predicted) > 0
    per_class = divide(2 * tp, reference + predicted, when_zero=0.0)
    return divide((per_class * present).sum(axis=-1), present.sum(axis=-1), when_zero=np.nan)


def matthews_correlation(totals: np.ndarray) -> np.ndarray:
    """Multiclass MCC (Gorodkin's R_K), as scikit-learn computes it."""
    n, correct, reference, predicted = _counts(totals)
    cov_ref_pred = correct * n - (reference * predicted).sum(axis=-1)
    cov_pred = n**2 - (predicted**2).sum(axis=-1)
    cov_ref = n**2 - (reference**2).sum(axis=-1)
    value = divide(cov_ref_pred, np.sqrt(cov_pred * cov_ref), when_zero=0.0)
    return np.where(n > 0, value, np.nan)


def explain_empty(stats: np.ndarray) -> str | None:
    return "no examples to score" if len(stats) == 0 else None


def explain_f1(stats: np.ndarray) -> str | None:
    if len(stats) == 0:
        return "no examples to score"
    confusion = _confusion(stats.sum(axis=0))
    if confusion[POSITIVE, :].sum() + confusion[:, POSITIVE].sum() == 0:
        return "no example is positive (class 1) in references or predictions: F1 is undefined"
    return None


def explain_mcc(stats: np.ndarray) -> str | None:
    if len(stats) == 0:
        return "no examples to score"
    _, _, reference, predicted = _counts(stats.sum(axis=0))
    for what, counts in (("predictions", predicted), ("references", reference)):
        if np.count_nonzero(counts) == 1:
            return f"all {what} are one class: MCC is undefined and reported as 0 (scikit-learn's convention)"
    return None


def class_counts(stats: np.ndarray) -> dict[str, dict[str, int]]:
    """{"0": {"support": references of class 0, "predicted": predictions of class 0}, ...}."""
    _, _, reference, predicted = _counts(stats.sum(axis=0))
    return {
        str(label): {"support": int(reference[label]), "predicted": int(predicted[label])}
        for label in range(len(reference))
    }
