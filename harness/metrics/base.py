"""What a metric is: per-example statistics plus a way to aggregate them.

Every metric first turns (predictions, references) into a float array with one row per
example. The score is computed from those rows alone, so a bootstrap (or a paired test
between two runs) resamples rows and re-aggregates without re-parsing any input.

Two ways to aggregate, set exactly one:
- `from_totals`: the score depends on the rows only through their column sums (counts
  such as a confusion matrix or entity tp/pred/gold). The bootstrap then needs only the
  resampled sums, which it computes with bincount and one matrix product.
- `from_rows`: the score needs the rows themselves (correlations). It gets a batch of
  resampled row sets at once, shape (..., n, d).
Both take leading batch dimensions and return one value per batch entry, nan where the
score is undefined.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from dataclasses import dataclass

import numpy as np

from harness.errors import HarnessError

# What predictions and references look like for a metric; metrics asked for together
# must share one input kind.
LABELS = "labels"  # int class indices, one per example
SCORES = "scores"  # floats, one per example
TAGS = "tags"  # a list of IOB2 tag strings per sentence, one tag per word
INPUT_KINDS = (LABELS, SCORES, TAGS)

StatsFn = Callable[..., np.ndarray]  # (predictions, references, **options) -> (n, d)
ValueFn = Callable[[np.ndarray], np.ndarray]
ExplainFn = Callable[[np.ndarray], "str | None"]  # stats -> why the value is nan/conventional


@dataclass(frozen=True)
class Metric:
    """A named metric. `stats` must accept and ignore options it does not use (**_).

    `input_kind` also decides which tasks may name the metric (harness/tasks/schema.py).
    Bump `version` when a change to the computation moves scores: leaderboards never average
    runs scored by different versions (records keep them in task.metric_versions).
    """

    name: str
    input_kind: str
    stats: StatsFn
    from_totals: ValueFn | None = None
    from_rows: ValueFn | None = None
    explain: ExplainFn | None = None
    higher_is_better: bool = True
    version: int = 1

    def __post_init__(self) -> None:
        if (self.from_totals is None) == (self.from_rows is None):
            raise ValueError(f"metric {self.name}: set exactly one of from_totals, from_rows")
        if self.input_kind not in INPUT_KINDS:
            raise ValueError(f"metric {self.name}: input_kind {self.input_kind!r} is not one of "
                             f"{', '.join(INPUT_KINDS)}")

    def value(self, stats: np.ndarray) -> float:
        """The score of all rows of `stats` (nan when undefined)."""
        if self.from_totals is not None:
            return float(self.from_totals(stats.sum(axis=0)))
        return float(self.from_rows(stats))


def check_same_length(predictions: Sized, references: Sized) -> None:
    if len(predictions) != len(references):
        raise HarnessError(
            f"got {len(predictions)} predictions for {len(references)} references; "
            "pass exactly one prediction per example, in the same order"
        )


def divide(numerator: np.ndarray, denominator: np.ndarray, *, when_zero: float) -> np.ndarray:
    """numerator / denominator elementwise, `when_zero` where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(numerator, denominator).shape, when_zero, dtype=float)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out
