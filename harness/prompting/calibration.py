"""Choice probabilities, contextual calibration and expected calibration error.

Contextual calibration (Zhao et al., 2021, "Calibrate Before Use") scores the prompt with
content-free inputs in place of the example's text, averages the choice probabilities it
gets, and divides them out of every example's probabilities before renormalising.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CONTENT_FREE_INPUTS = ("N/A", "", "[MASK]")


def choice_probabilities(scores: Sequence[Sequence[float]]) -> np.ndarray:
    """Softmax over each row's choice scores (log-likelihoods or similarities times a scale)."""
    values = np.asarray(scores, dtype=np.float64)
    values = values - values.max(axis=1, keepdims=True)
    exp = np.exp(values)
    return exp / exp.sum(axis=1, keepdims=True)


def content_free_prior(content_free_scores: Sequence[Sequence[float]]) -> np.ndarray:
    """Mean choice probabilities over the content-free inputs."""
    return choice_probabilities(content_free_scores).mean(axis=0)


def calibrate(probabilities: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """p / prior, renormalised per row: the diagonal W = diag(prior)^-1 of the paper, with b = 0."""
    adjusted = probabilities / np.clip(prior, 1e-12, None)
    return adjusted / adjusted.sum(axis=1, keepdims=True)


def expected_calibration_error(probabilities: np.ndarray, labels: Sequence[int], bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(labels)
    # bin i holds confidences in (i/bins, (i+1)/bins]; a confidence of exactly 0 joins the first bin
    which = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(error)
