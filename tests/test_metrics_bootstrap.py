"""Percentile bootstrap: resamples match direct scoring, intervals behave, seeds repeat."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.metrics import (
    METRICS,
    bootstrap_values,
    evaluate,
    example_stats,
    percentile_interval,
    resample_indices,
)


def _labels(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    references = rng.integers(0, 2, n)
    predictions = np.where(rng.random(n) < 0.8, references, 1 - references)
    return predictions, references


def _tags(n: int, seed: int = 0) -> tuple[list[list[str]], list[list[str]]]:
    rng = np.random.default_rng(seed)
    tags = ["O", "O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    references = [[tags[i] for i in rng.integers(0, len(tags), 6)] for _ in range(n)]
    predictions = [[t if rng.random() < 0.85 else tags[rng.integers(0, len(tags))] for t in s] for s in references]
    return predictions, references


def _inputs(name: str, n: int, seed: int = 0) -> tuple:
    if name.startswith("entity"):
        return _tags(n, seed)
    if name in ("pearson", "spearman"):
        rng = np.random.default_rng(seed)
        references = rng.uniform(0, 5, n).round(1)
        return references + rng.normal(0, 1, n), references
    return _labels(n, seed)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_vectorised_resamples_equal_scoring_each_resample(name: str) -> None:
    predictions, references = _inputs(name, 60)
    stats = example_stats(name, predictions, references)
    metric = METRICS[name]
    resampled = bootstrap_values([metric], stats, n_boot=25, seed=3)[name]
    indices = np.concatenate(list(resample_indices(len(stats), 25, 3)))
    direct = [metric.value(stats[rows]) for rows in indices]
    np.testing.assert_allclose(resampled, direct, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_interval_contains_the_point_estimate(name: str) -> None:
    predictions, references = _inputs(name, 400)
    report = evaluate([name], predictions, references, n_boot=300, seed=1)
    low, high = report.intervals[name]
    assert low < report.values[name] < high


@pytest.mark.parametrize("name", ["accuracy", "matthews_correlation", "pearson", "entity_f1"])
def test_interval_shrinks_with_more_data(name: str) -> None:
    widths = []
    for n in (100, 1600):
        predictions, references = _inputs(name, n, seed=5)
        low, high = evaluate([name], predictions, references, n_boot=300).intervals[name]
        widths.append(high - low)
    # the width goes as 1/sqrt(n): 16x the data should give about a quarter of the width
    assert widths[1] < 0.5 * widths[0]


def test_same_seed_repeats_exactly_and_another_seed_differs() -> None:
    predictions, references = _labels(500)
    first = evaluate(["accuracy", "f1"], predictions, references, seed=11).intervals
    again = evaluate(["accuracy", "f1"], predictions, references, seed=11).intervals
    other = evaluate(["accuracy", "f1"], predictions, references, seed=12).intervals
    assert first == again
    assert first != other


def test_same_seed_and_size_draw_the_same_resamples_for_paired_tests() -> None:
    # two runs on the same examples resampled with one seed see identical index sets, even
    # past one block (5000 examples -> several blocks)
    a = np.concatenate(list(resample_indices(5000, 500, seed=9)))
    b = np.concatenate(list(resample_indices(5000, 500, seed=9)))
    assert a.shape == (500, 5000)
    np.testing.assert_array_equal(a, b)


def test_percentile_interval_on_known_values() -> None:
    # 0..100: the central 90% runs from the 5th to the 95th percentile
    assert percentile_interval(np.arange(101.0), 0.9) == pytest.approx((5.0, 95.0))
    # nan resamples are left out ...
    assert percentile_interval(np.array([np.nan, 1.0, 2.0, 3.0]), 0.5) == (1.5, 2.5)
    # ... unless half or more are nan
    assert all(math.isnan(v) for v in percentile_interval(np.array([np.nan, np.nan, 1.0, 2.0]), 0.9))


def test_zero_resamples_skip_the_intervals() -> None:
    predictions, references = _labels(50)
    report = evaluate(["accuracy"], predictions, references, n_boot=0)
    assert not math.isnan(report.values["accuracy"])
    assert all(math.isnan(v) for v in report.intervals["accuracy"])


def test_tiny_samples_note_undefined_resamples() -> None:
    # 3 examples: some resamples have no positive at all, so their F1 is undefined
    report = evaluate(["f1"], [1, 0, 0], [1, 0, 1], n_boot=200)
    low, high = report.intervals["f1"]
    assert 0.0 <= low <= high <= 1.0
    assert "resamples were undefined" in report.details["notes"]["f1"]
