"""Statistics behind `harness compare`: paired bootstrap, McNemar, seed summaries."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.compare import (
    mcnemar,
    mean_interval,
    paired_bootstrap,
    resample,
    seed_mean_interval,
    seed_summary,
)
from harness.compare import units
from harness.errors import HarnessError
from harness.metrics import evaluate, example_stats, get_metric, resample_indices

N = 400


def _labels(accuracy: float, seed: int, references: np.ndarray) -> np.ndarray:
    """Predictions right on about `accuracy` of the examples."""
    rng = np.random.default_rng(seed)
    return np.where(rng.random(len(references)) < accuracy, references, 1 - references)


def _references(n: int = N) -> np.ndarray:
    return np.random.default_rng(99).integers(0, 2, n)


def _accuracy_rows(predictions: np.ndarray, references: np.ndarray) -> np.ndarray:
    return example_stats("accuracy", predictions, references, num_classes=2)


def test_identical_predictions_give_delta_zero_and_p_one() -> None:
    references = _references()
    runs = {seed: _accuracy_rows(_labels(0.8, seed, references), references) for seed in (0, 1, 2)}
    result = paired_bootstrap("accuracy", runs, dict(runs), n_boot=500)
    assert result is not None
    assert result.delta == 0
    assert result.p_value == 1
    assert result.interval == (0.0, 0.0)
    assert result.seeds == (0, 1, 2)


def test_always_right_against_always_wrong_gives_a_tiny_p() -> None:
    references = _references()
    wrong = {seed: _accuracy_rows(1 - references, references) for seed in (0, 1)}
    right = {seed: _accuracy_rows(references, references) for seed in (0, 1)}
    better = paired_bootstrap("accuracy", wrong, right, n_boot=1000)
    assert better is not None
    assert better.delta == 1.0
    assert better.p_value < 0.01
    assert better.interval == (1.0, 1.0)
    # 0 is only "below the resolution of 1000 resamples"
    assert units.p_value(better.p_value, 1000) == "< 0.001"
    worse = paired_bootstrap("accuracy", right, wrong, n_boot=1000)
    assert worse is not None and worse.delta == -1.0 and worse.p_value < 0.01


def test_resampled_deltas_match_scoring_each_resample_by_hand() -> None:
    """Every run is resampled with the same indices; the delta averages paired seeds."""
    references = _references(120)
    metric = get_metric("matthews_correlation")
    reference = {s: _accuracy_rows(_labels(0.7, s, references), references) for s in (0, 1)}
    candidate = {s: _accuracy_rows(_labels(0.8, 10 + s, references), references) for s in (0, 1, 5)}
    result = paired_bootstrap(metric, reference, candidate, n_boot=200, seed=4, confidence=0.9)
    assert result is not None and result.seeds == (0, 1)  # seed 5 has no partner

    indices = np.concatenate(list(resample_indices(120, 200, 4)))
    by_hand = np.array([
        np.mean([metric.value(candidate[s][i]) - metric.value(reference[s][i]) for s in (0, 1)]) for i in indices
    ])
    observed = np.mean([metric.value(candidate[s]) - metric.value(reference[s]) for s in (0, 1)])
    assert result.delta == pytest.approx(observed)
    low, high = np.percentile(by_hand, [5, 95])
    assert result.interval == pytest.approx((low, high))
    expected_p = min(1.0, 2 * min(np.mean(by_hand <= 0), np.mean(by_hand >= 0)))
    assert result.p_value == pytest.approx(expected_p)


def test_no_shared_seed_gives_none() -> None:
    references = _references(50)
    rows = _accuracy_rows(references, references)
    assert paired_bootstrap("accuracy", {0: rows}, {1: rows}, n_boot=50) is None


def test_runs_on_different_numbers_of_examples_are_refused() -> None:
    references = _references(50)
    rows = _accuracy_rows(references, references)
    with pytest.raises(HarnessError, match="different numbers of examples"):
        paired_bootstrap("accuracy", {0: rows}, {0: rows[:40]}, n_boot=50)


@pytest.mark.parametrize("metric", ["pearson", "spearman"])
def test_regression_correlations_paired(metric: str) -> None:
    rng = np.random.default_rng(3)
    references = rng.uniform(0, 5, 300)
    noisy = {s: example_stats(metric, references + rng.normal(0, 2.0, 300), references) for s in (0, 1, 2)}
    close = {s: example_stats(metric, references + rng.normal(0, 0.3, 300), references) for s in (0, 1, 2)}
    result = paired_bootstrap(metric, noisy, close, n_boot=300)
    assert result is not None
    assert result.delta > 0.2
    assert result.p_value < 0.01
    low, high = result.interval
    assert 0 < low < result.delta < high
    same = paired_bootstrap(metric, noisy, dict(noisy), n_boot=300)
    assert same is not None and same.delta == 0 and same.p_value == 1


def test_ner_entity_f1_with_tag_lists() -> None:
    tag_names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    rng = np.random.default_rng(7)
    references = []
    for _ in range(200):
        sentence = ["O"] * 6
        start = int(rng.integers(0, 5))
        kind = "PER" if rng.random() < 0.5 else "LOC"
        sentence[start : start + 2] = [f"B-{kind}", f"I-{kind}"]
        references.append(sentence)
    # the reference method misses the entity in every other sentence; the candidate finds all
    missing = [["O"] * 6 if i % 2 else list(tags) for i, tags in enumerate(references)]
    reference = {0: example_stats("entity_f1", missing, references, tag_names=tag_names)}
    candidate = {0: example_stats("entity_f1", references, references, tag_names=tag_names)}
    result = paired_bootstrap("entity_f1", reference, candidate, n_boot=500)
    assert result is not None
    # recall 0.5, precision 1 -> F1 2/3 against a perfect 1
    assert result.delta == pytest.approx(1 - 2 / 3)
    assert result.p_value < 0.01


def test_mcnemar_matches_a_hand_computation() -> None:
    # b = 1 (reference only right), c = 9 (candidate only right), 5 both right, 5 both wrong.
    reference = [True] * 1 + [False] * 9 + [True] * 5 + [False] * 5
    candidate = [False] * 1 + [True] * 9 + [True] * 5 + [False] * 5
    result = mcnemar(reference, candidate)
    assert (result.reference_only, result.candidate_only, result.pairs) == (1, 9, 20)
    # exact two-sided: 2 * P(X <= 1) for X ~ Binomial(10, 1/2) = 2 * (1 + 10) / 1024
    assert result.p_value == pytest.approx(22 / 1024)


def test_mcnemar_pools_seeds_and_handles_no_disagreement() -> None:
    seed0 = ([True, True, False], [False, False, False])  # b = 2
    seed1 = ([True, False, False, True], [False, True, True, True])  # b = 1, c = 2
    pooled = mcnemar([seed0[0], seed1[0]], [seed0[1], seed1[1]])  # ragged: pooled per (seed, example)
    assert (pooled.reference_only, pooled.candidate_only, pooled.pairs) == (3, 2, 7)
    # 2 * P(X <= 2), X ~ Binomial(5, 1/2) = 2 * 16 / 32 = 1
    assert pooled.p_value == pytest.approx(1.0)
    same = mcnemar(np.ones((3, 10), bool), np.ones((3, 10), bool))
    assert same.p_value == 1 and same.reference_only == same.candidate_only == 0
    lopsided = mcnemar([True] * 3, [False] * 3)  # b = 3, c = 0: 2 / 8
    assert lopsided.p_value == pytest.approx(0.25)


def test_mcnemar_refuses_unpaired_outcomes() -> None:
    with pytest.raises(HarnessError, match="one pair per"):
        mcnemar([True, False], [True])


def test_seed_summary() -> None:
    summary = seed_summary([0.8, 0.9, 0.85])
    assert summary.mean == pytest.approx(0.85)
    assert summary.std == pytest.approx(0.05)  # sample std, ddof 1
    assert summary.count == 3
    one = seed_summary([0.7])
    assert one.mean == 0.7 and math.isnan(one.std) and one.count == 1


def test_mean_interval_over_seeds() -> None:
    references = _references()
    rows = _accuracy_rows(_labels(0.8, 0, references), references)
    # identical seeds: the interval of the mean is the single run's interval
    single = evaluate(["accuracy"], _labels(0.8, 0, references), references, n_boot=400, seed=2)
    assert mean_interval("accuracy", {0: rows, 1: rows}, n_boot=400, seed=2) == pytest.approx(
        single.intervals["accuracy"]
    )
    runs = {s: _accuracy_rows(_labels(0.8, s, references), references) for s in (0, 1, 2)}
    low, high = mean_interval("accuracy", runs, n_boot=400)
    mean = np.mean([get_metric("accuracy").value(r) for r in runs.values()])
    assert low < mean < high
    # the two-step form (resample each run once, then combine) gives the same interval
    resampled = {s: resample("accuracy", r, n_boot=400) for s, r in runs.items()}
    assert seed_mean_interval(resampled) == pytest.approx((low, high))
