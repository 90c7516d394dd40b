"""Statistics for comparing methods over seeds: paired bootstrap, McNemar, seed summaries.

A run is given as its per-example rows for one metric (`harness.metrics.example_stats`),
and a method as {seed: rows}, every run aligned on the same examples in the same order.
Every run is resampled with the same (n, n_boot, seed) and therefore the same example
indices (`harness.metrics.resample_indices`), so the resampled scores of two runs can be
subtracted resample by resample: that is the paired bootstrap. Seeds pair runs because a
seed fixes the training data sample and the initialisation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest

from harness.errors import HarnessError
from harness.metrics import Metric, bootstrap_values, get_metric, percentile_interval

Interval = tuple[float, float]


@dataclass(frozen=True)
class Resampled:
    """One run's score on all examples and on each bootstrap resample of them."""

    value: float
    resamples: np.ndarray  # (n_boot,), nan where the metric is undefined on a resample
    n_examples: int


@dataclass(frozen=True)
class PairedResult:
    """candidate - reference, averaged over the seeds both have."""

    delta: float
    interval: Interval
    p_value: float  # two-sided; 0 means below the resolution 1 / n_boot
    seeds: tuple[int, ...]  # the paired seeds
    n_boot: int  # resamples where the delta was defined (the p-value's resolution)


@dataclass(frozen=True)
class McNemarResult:
    """Exact McNemar test over pooled (seed, example) pairs."""

    reference_only: int  # b: reference right, candidate wrong
    candidate_only: int  # c: candidate right, reference wrong
    pairs: int  # all (seed, example) pairs compared
    p_value: float


@dataclass(frozen=True)
class SeedSummary:
    mean: float
    std: float  # sample standard deviation (ddof 1); nan for fewer than two seeds
    count: int


def as_metric(metric: Metric | str) -> Metric:
    return get_metric(metric) if isinstance(metric, str) else metric


def check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise HarnessError(f"confidence must lie strictly between 0 and 1 (e.g. 0.95), got {confidence!r}")


def resample(metric: Metric | str, rows: np.ndarray, *, n_boot: int = 1000, seed: int = 0) -> Resampled:
    """Score `rows` and its n_boot resamples; runs with the same n share their resamples."""
    if n_boot < 1:
        raise HarnessError(f"n_boot must be at least 1 for a comparison (e.g. 1000), got {n_boot!r}")
    metric = as_metric(metric)
    rows = np.asarray(rows, dtype=float)
    values = bootstrap_values([metric], rows, n_boot=n_boot, seed=seed)[metric.name]
    return Resampled(metric.value(rows), values, len(rows))


def _check_aligned(runs: list[Resampled]) -> None:
    sizes = {run.n_examples for run in runs}
    boots = {len(run.resamples) for run in runs}
    if len(sizes) > 1 or len(boots) > 1:
        raise HarnessError(
            f"runs were scored on different numbers of examples ({sorted(sizes)}) or resamples ({sorted(boots)}); "
            "compare runs evaluated on the same examples with the same n_boot and seed"
        )


def two_sided_p(deltas: np.ndarray) -> float:
    """min(1, 2 * min(share <= 0, share >= 0)) over the defined resampled deltas; nan if none."""
    finite = deltas[np.isfinite(deltas)]
    if len(finite) == 0:
        return float("nan")
    return float(min(1.0, 2 * min(np.mean(finite <= 0), np.mean(finite >= 0))))


def paired_delta(
    reference: Mapping[int, Resampled], candidate: Mapping[int, Resampled], *, confidence: float = 0.95
) -> PairedResult | None:
    """The paired bootstrap on runs already resampled (see `resample`); None when no seed is shared."""
    check_confidence(confidence)
    seeds = tuple(sorted(set(reference) & set(candidate)))
    if not seeds:
        return None
    _check_aligned([reference[s] for s in seeds] + [candidate[s] for s in seeds])
    delta = float(np.mean([candidate[s].value - reference[s].value for s in seeds]))
    deltas = np.mean([candidate[s].resamples - reference[s].resamples for s in seeds], axis=0)
    defined = int(np.isfinite(deltas).sum())
    return PairedResult(delta, percentile_interval(deltas, confidence), two_sided_p(deltas), seeds, defined)


def paired_bootstrap(
    metric: Metric | str,
    reference_runs: Mapping[int, np.ndarray],
    candidate_runs: Mapping[int, np.ndarray],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> PairedResult | None:
    """Paired bootstrap of candidate - reference; runs are {training seed: per-example rows}.

    For each resample of example indices (the same for every run) the delta is the mean over
    paired seeds of metric(candidate) - metric(reference). Returns the observed delta, the
    percentile interval of the resampled deltas and a two-sided p-value; None when the two
    share no seed.
    """
    metric = as_metric(metric)
    seeds = set(reference_runs) & set(candidate_runs)
    ref = {s: resample(metric, reference_runs[s], n_boot=n_boot, seed=seed) for s in seeds}
    cand = {s: resample(metric, candidate_runs[s], n_boot=n_boot, seed=seed) for s in seeds}
    return paired_delta(ref, cand, confidence=confidence)


def _flat_bools(values: object) -> np.ndarray:
    """Outcomes as one flat bool array; per-seed arrays of different lengths are pooled."""
    try:
        array: np.ndarray | None = np.asarray(values)
    except ValueError:  # ragged: numpy refuses to stack it
        array = None
    if array is None or array.dtype == object:
        array = np.concatenate([np.ravel(np.asarray(part)) for part in values])  # type: ignore[union-attr]
    return np.ravel(array).astype(bool)


def mcnemar(reference_correct: object, candidate_correct: object) -> McNemarResult:
    """Exact two-sided McNemar test: is one method right more often where the two disagree?

    Takes whether each example was right, for one seed (n,) or pooled over paired seeds
    (seeds, n) or a list of per-seed arrays in the same seed order for both methods.
    """
    ref = _flat_bools(reference_correct)
    cand = _flat_bools(candidate_correct)
    if ref.shape != cand.shape:
        raise HarnessError(
            f"McNemar needs one pair per (seed, example): got {ref.size} reference and {cand.size} candidate "
            "outcomes; pass the paired seeds only, aligned on the same examples"
        )
    b = int(np.sum(ref & ~cand))
    c = int(np.sum(~ref & cand))
    p = 1.0 if b + c == 0 else float(binomtest(c, b + c, 0.5, alternative="two-sided").pvalue)
    return McNemarResult(b, c, int(ref.size), min(1.0, p))


def seed_summary(values: object) -> SeedSummary:
    """Mean, sample std (nan for one seed) and count of one score per seed; nan scores are left out."""
    array = np.asarray(values, dtype=float).ravel()
    array = array[np.isfinite(array)]
    if len(array) == 0:
        return SeedSummary(float("nan"), float("nan"), 0)
    std = float(np.std(array, ddof=1)) if len(array) > 1 else float("nan")
    return SeedSummary(float(np.mean(array)), std, len(array))


def seed_mean_interval(runs: Mapping[int, Resampled], *, confidence: float = 0.95) -> Interval:
    """Percentile interval of the mean over seeds, from resampled runs (see `resample`).

    Each resample draws examples once for every seed alike, so the interval reflects the
    finite evaluation set, not the spread between seeds (that is the std over seeds).
    """
    check_confidence(confidence)
    if not runs:
        return (math.nan, math.nan)
    _check_aligned(list(runs.values()))
    return percentile_interval(np.mean([run.resamples for run in runs.values()], axis=0), confidence)


def mean_interval(
    metric: Metric | str, runs: Mapping[int, np.ndarray], *, n_boot: int = 1000, seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    """Bootstrap interval of a method's mean score over its seeds; runs are {seed: rows}."""
    metric = as_metric(metric)
    resampled = {s: resample(metric, rows, n_boot=n_boot, seed=seed) for s, rows in runs.items()}
    return seed_mean_interval(resampled, confidence=confidence)
