"""Pearson and Spearman correlation between predicted and reference scores.

Per-example row: (prediction, reference). Both scores take batches of row sets
(..., n, 2) so the bootstrap scores many resamples in one call. A correlation with a
constant side (or fewer than two examples) is undefined: nan, as scipy returns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import rankdata

from harness.errors import HarnessError
from harness.metrics.base import check_same_length


def _as_scores(values: Sequence[float], what: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise HarnessError(f"{what} must be numbers, one per example ({error})") from None
    if array.ndim != 1:
        raise HarnessError(f"{what} must be a flat list of numbers, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise HarnessError(f"{what} contain nan or inf at index {int(np.argmin(np.isfinite(array)))}")
    return array


def score_rows(predictions: Sequence[float], references: Sequence[float], **_: object) -> np.ndarray:
    check_same_length(predictions, references)
    pred = _as_scores(predictions, "predictions")
    ref = _as_scores(references, "references")
    return np.stack([pred, ref], axis=-1) if len(pred) else np.zeros((0, 2))


def _correlation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r along the last axis; nan where either side is constant."""
    if x.shape[-1] == 0:
        return np.full(x.shape[:-1], np.nan)
    constant = (np.ptp(x, axis=-1) == 0) | (np.ptp(y, axis=-1) == 0)
    # centre first: sums of products of raw values lose precision for large means
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc * yc).sum(axis=-1) / np.sqrt((xc**2).sum(axis=-1) * (yc**2).sum(axis=-1))
    return np.where(constant, np.nan, np.clip(r, -1.0, 1.0))


def pearson(rows: np.ndarray) -> np.ndarray:
    return _correlation(rows[..., 0], rows[..., 1])


def spearman(rows: np.ndarray) -> np.ndarray:
    """Pearson r of average ranks (ties share their mean rank), as scipy.stats.spearmanr."""
    if rows.shape[-2] == 0:
        return np.full(rows.shape[:-2], np.nan)
    return _correlation(rankdata(rows[..., 0], axis=-1), rankdata(rows[..., 1], axis=-1))


def explain_correlation(stats: np.ndarray) -> str | None:
    if len(stats) < 2:
        return f"a correlation needs at least 2 examples, got {len(stats)}"
    for column, what in ((0, "predictions"), (1, "references")):
        if np.ptp(stats[:, column]) == 0:
            return f"all {what} are equal ({stats[0, column]:g}): the correlation is undefined"
    return None
