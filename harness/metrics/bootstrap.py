"""Percentile bootstrap over per-example statistics.

Resampling draws example indices with `numpy.random.default_rng(seed)` in blocks whose
size depends only on the number of examples, so the same (n, n_boot, seed) always gives
the same resamples: two runs scored on the same examples with one seed are resampled
identically, which is what a paired test needs (subtract their distributions).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from harness.metrics.base import Metric

_BLOCK_CELLS = 1 << 21  # indices drawn per block: bounds memory at ~16 MB per array


def resample_indices(n: int, n_boot: int, seed: int) -> Iterator[np.ndarray]:
    """Blocks of shape (b, n) of indices in [0, n); n_boot rows in all."""
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_CELLS // max(n, 1))
    for start in range(0, n_boot, block):
        yield rng.integers(0, n, size=(min(block, n_boot - start), n))


def group_rows(stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows, group of each row) with distinct[group] == stats.

    A dict over row bytes: np.unique(axis=0) sorts and is ~40x slower on wide rows.
    """
    stats = np.ascontiguousarray(stats)
    seen: dict[bytes, int] = {}
    first: list[int] = []
    group = np.empty(len(stats), dtype=np.intp)
    for i, row in enumerate(stats):
        group[i] = seen.setdefault(row.tobytes(), len(seen))
        if group[i] == len(first):
            first.append(i)
    return stats[first], group


def _resampled_totals(indices: np.ndarray, unique_rows: np.ndarray, row_group: np.ndarray) -> np.ndarray:
    """Column sums of each resample, (b, d), from how often it drew each distinct row."""
    b = indices.shape[0]
    groups = len(unique_rows)
    flat = (row_group[indices] + np.arange(b)[:, None] * groups).ravel()
    counts = np.bincount(flat, minlength=b * groups).reshape(b, groups)
    return counts @ unique_rows


def bootstrap_values(
    metrics: Sequence[Metric], stats: np.ndarray, *, n_boot: int, seed: int
) -> dict[str, np.ndarray]:
    """Each metric's value on n_boot resamples of the rows of `stats` (same resamples for all)."""
    n = len(stats)
    if n == 0 or n_boot == 0:
        return {metric.name: np.full(n_boot, np.nan) for metric in metrics}
    out = {metric.name: np.empty(n_boot) for metric in metrics}
    grouped = None
    if any(metric.from_totals is not None for metric in metrics):
        # few distinct rows (a confusion cell per example) make the sums cheap
        grouped = group_rows(stats)
    done = 0
    for indices in resample_indices(n, n_boot, seed):
        totals = _resampled_totals(indices, *grouped) if grouped is not None else None
        rows = None
        for metric in metrics:
            if metric.from_totals is not None:
                values = metric.from_totals(totals)
            else:
                rows = stats[indices] if rows is None else rows
                values = metric.from_rows(rows)
            out[metric.name][done : done + len(indices)] = values
        done += len(indices)
    return out


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central `confidence` interval of the finite values; nan if half or more are nan."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0 or len(finite) * 2 <= len(values):
        return (float("nan"), float("nan"))
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return (float(low), float(high))
