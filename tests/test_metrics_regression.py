"""Pearson and Spearman: hand-computed cases, scipy, degenerate inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr

from harness.errors import HarnessError
from harness.metrics import evaluate


def test_pearson_and_spearman_hand_computed() -> None:
    # x = [1,2,3,4] centred [-1.5,-.5,.5,1.5]; y = [2,4,5,9] centred [-3,-1,0,4]
    # sum(xc*yc) = 4.5 + .5 + 0 + 6 = 11; sum(xc^2) = 5; sum(yc^2) = 26 -> r = 11 / sqrt(130)
    # both orderings agree exactly -> Spearman 1
    report = evaluate(["pearson", "spearman"], [1, 2, 3, 4], [2, 4, 5, 9], n_boot=0)
    assert report.values["pearson"] == pytest.approx(11 / math.sqrt(130))
    assert report.values["spearman"] == pytest.approx(1.0)


def test_spearman_ties_share_their_mean_rank() -> None:
    # ranks x [1,2,2,3] -> [1,2.5,2.5,4]; y [1,3,2,4] -> [1,3,2,4]; centred (mean 2.5):
    # [-1.5,0,0,1.5] . [-1.5,.5,-.5,1.5] = 4.5; norms^2 4.5 and 5 -> 4.5 / sqrt(22.5)
    report = evaluate(["spearman"], [1, 2, 2, 3], [1, 3, 2, 4], n_boot=0)
    assert report.values["spearman"] == pytest.approx(4.5 / math.sqrt(22.5))


def test_agrees_with_scipy_on_random_data() -> None:
    rng = np.random.default_rng(3)
    references = rng.uniform(0, 5, 300).round(1)  # STS-B-like scores, with ties
    predictions = references + rng.normal(0, 1.5, 300)
    values = evaluate(["pearson", "spearman"], predictions, references, n_boot=0).values
    assert values["pearson"] == pytest.approx(pearsonr(predictions, references)[0], abs=1e-12)
    assert values["spearman"] == pytest.approx(spearmanr(predictions, references)[0], abs=1e-12)


def test_large_offset_does_not_lose_precision() -> None:
    rng = np.random.default_rng(4)
    references = rng.normal(size=200)
    predictions = 1e9 + references + rng.normal(size=200)
    value = evaluate(["pearson"], predictions, references, n_boot=0).values["pearson"]
    assert value == pytest.approx(pearsonr(predictions, references)[0], abs=1e-9)


def test_constant_predictions_give_nan_with_a_reason() -> None:
    report = evaluate(["pearson", "spearman"], [2.5, 2.5, 2.5], [1.0, 3.0, 4.0], n_boot=100)
    assert math.isnan(report.values["pearson"]) and math.isnan(report.values["spearman"])
    assert "all predictions are equal" in report.details["notes"]["pearson"]
    assert all(math.isnan(v) for v in report.intervals["pearson"])


@pytest.mark.parametrize("size", [0, 1])
def test_too_few_examples_give_nan(size: int) -> None:
    report = evaluate(["pearson", "spearman"], [1.0] * size, [2.0] * size, n_boot=20)
    assert math.isnan(report.values["pearson"])
    assert "at least 2 examples" in report.details["notes"]["spearman"]


def test_non_numbers_and_nan_are_errors() -> None:
    with pytest.raises(HarnessError, match="must be numbers"):
        evaluate(["pearson"], ["high", "low"], [1.0, 2.0])
    with pytest.raises(HarnessError, match="nan or inf at index 1"):
        evaluate(["pearson"], [1.0, float("nan")], [1.0, 2.0])
