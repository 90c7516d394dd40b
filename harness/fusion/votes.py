"""Ways to combine members' per-example outputs into one prediction, by task kind.

Every combiner takes the members' outputs for one example, aligned, and their weights
(non-negative, summing to one) and returns (prediction, probabilities or None):

    soft      classification: the weighted mean of class probabilities, its argmax
              token classification: the weighted mean of each word's tag probabilities,
              decoded into a valid IOB2 sequence (harness.fusion.iob2)
              regression: the weighted mean of the scores
    majority  classification: the class with the most (weighted) votes
              token classification: each word's weighted votes, decoded as above
              regression: the weighted median

Ties go to the class with the higher mean probability, then to the lower class index,
so a combination repeats exactly. Every kind but regression needs the members' probabilities.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.errors import HarnessError
from harness.fusion import iob2
from harness.registry import Registry
from harness.tasks import kinds


@dataclass(frozen=True)
class Outputs:
    """Every member's outputs for one example: predicted values and probabilities (None for regression)."""

    values: list[Any]  # per member: class index, score, or tag indices per word
    probabilities: list[np.ndarray] | None  # per member: (classes,) or (words, tags)


Combine = Callable[[Outputs, np.ndarray, Sequence[str]], tuple[Any, list | None]]


@dataclass(frozen=True)
class Combiner:
    name: str
    summary: str
    by_kind: dict[str, Combine]


def _mean_probabilities(outputs: Outputs, weights: np.ndarray) -> np.ndarray:
    return np.tensordot(weights, np.stack(outputs.probabilities), axes=1)


def _soft_class(outputs: Outputs, weights: np.ndarray, labels: Sequence[str]) -> tuple[int, list]:
    mean = _mean_probabilities(outputs, weights)
    return int(mean.argmax()), _rounded(mean, 6)


def _soft_tags(outputs: Outputs, weights: np.ndarray, labels: Sequence[str]) -> tuple[list[int], list]:
    mean = _mean_probabilities(outputs, weights)
    return iob2.decode(mean, labels), _rounded(mean, 4)


def _weighted_mean(outputs: Outputs, weights: np.ndarray, labels: Sequence[str]) -> tuple[float, None]:
    return float(np.dot(weights, np.asarray(outputs.values, dtype=float))), None


def _votes(chosen: Sequence[int], weights: np.ndarray, classes: int) -> np.ndarray:
    counts = np.zeros(classes)
    np.add.at(counts, np.asarray(chosen, dtype=int), weights)
    return counts


def _majority_class(outputs: Outputs, weights: np.ndarray, labels: Sequence[str]) -> tuple[int, list]:
    mean = _mean_probabilities(outputs, weights)
    counts = _votes(outputs.values, weights, len(mean))
    tied = np.flatnonzero(np.isclose(counts, counts.max()))
    return int(tied[np.argmax(mean[tied])]), _rounded(counts, 6)


def _majority_tags(outputs: Outputs, weights: np.ndarray, labels: Sequence[str]) -> tuple[list[int], list]:
    words = len(outputs.values[0])
    if not words:
        return [], []
    shares = np.stack([_votes([tags[w] for tags in outputs.values], weights, len(labels)) for w in range(words)])
    # a tie between tags decodes towards the one with more probability: mixed in far below one vote's weight
    scores = shares + 1e-6 * _mean_probabilities(outputs, weights)
    return iob2.decode(scores, labels), _rounded(shares, 4)


def _weighted_median(outputs: Outputs, weights: np.ndarray, labels: Sequence[str]) -> tuple[float, None]:
    values = np.asarray(outputs.values, dtype=float)
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, 0.5 - 1e-12)]), None


def _rounded(array: np.ndarray, digits: int) -> list:
    return np.round(array, digits).tolist()


# Plugins add theirs through the entry-point group harness.combiners (a Combiner, or a list of them).
COMBINERS: Registry[Combiner] = Registry("ensemble combination", "harness.combiners")
COMBINERS.register(Combiner("soft", "mean of probabilities (scores for regression)",
                            {kinds.TEXT_CLASSIFICATION: _soft_class, kinds.TEXT_PAIR_CLASSIFICATION: _soft_class,
                             kinds.TOKEN_CLASSIFICATION: _soft_tags, kinds.REGRESSION: _weighted_mean}))
COMBINERS.register(Combiner("majority", "most votes (median for regression)",
                            {kinds.TEXT_CLASSIFICATION: _majority_class,
                             kinds.TEXT_PAIR_CLASSIFICATION: _majority_class,
                             kinds.TOKEN_CLASSIFICATION: _majority_tags, kinds.REGRESSION: _weighted_median}))


def get_combiner(name: str) -> Combiner:
    return COMBINERS.get(name)


def check_weights(weights: Sequence[float] | None, members: int) -> np.ndarray:
    """The members' weights normalised to sum to one (equal when None); HarnessError for a wrong list."""
    if weights is None:
        return np.full(members, 1.0 / members)
    if len(weights) != members:
        plural = "s" if len(weights) != 1 else ""
        raise HarnessError(f"--weights has {len(weights)} value{plural} for {members} members; give one per member, in "
                           "the members' order")
    array = np.asarray(weights, dtype=float)
    if not np.isfinite(array).all() or (array < 0).any() or array.sum() <= 0:
        raise HarnessError(f"--weights {','.join(f'{w:g}' for w in weights)}: every weight must be a finite number "
                           "of at least 0, and at least one above 0")
    return array / array.sum()
