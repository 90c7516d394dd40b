"""Summaries of attacks on one split: accuracy under attack, success rate, queries, share changed, with intervals.

- metrics under attack: the task's metrics on each example's final version (the adversarial
  text where the attack succeeded, the clean text where it failed or was skipped), with the
  task's bootstrap intervals;
- success rate: flipped among the examples attacked (correct on clean text and touchable; NER:
  every touchable sentence, flipped when it has more entity errors than on clean text), with a
  Wilson interval;
- queries and share changed: means over the examples attacked, bootstrap intervals;
- untouchable share: of the examples not already wrong, those the constraints left nothing
  to change (every word a stop word, or a text too short for the maximum share);
- worst case: per example, its worst version over every attack (HELM's worst case).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import binomtest

from harness.attack.search import FAILED, SKIPPED, SUCCEEDED, UNTOUCHABLE, Attacked
from harness.robustness.report import worst_case_predictions
from harness.tasks import Example

Score = Callable[[Sequence[Any], Sequence[Example]], dict[str, Any]]  # -> MetricReport.to_dict()
N_BOOT = 1000


def attack_summary(results: Sequence[Attacked], clean_values: Mapping[str, float], score: Score, seed: int,
                   seconds: float) -> dict[str, Any]:
    """One attack's summary over one split."""
    report = score([r.value for r in results], [r.example for r in results])
    searched = [r for r in results if r.status in (SUCCEEDED, FAILED)]
    succeeded = sum(r.status == SUCCEEDED for r in results)
    correct = len(results) - sum(r.status == SKIPPED for r in results)
    untouchable = sum(r.status == UNTOUCHABLE for r in results)
    return {
        "metrics": report,
        "drop": {m: clean_values[m] - v for m, v in report["values"].items() if v is not None and m in clean_values},
        "attacked": len(searched), "succeeded": succeeded, "already_wrong": len(results) - correct,
        "untouchable": untouchable, "untouchable_share": untouchable / correct if correct else None,
        "success_rate": _rate(succeeded, len(searched)),
        "queries_mean": _mean([r.queries for r in searched], seed),
        "queries_max": max((r.queries for r in searched), default=0),
        "queries_total": sum(r.queries for r in results),
        "changed_share_mean": _mean([r.changed_share for r in searched if r.status == SUCCEEDED], seed),
        "seconds": round(seconds, 3),
    }


def worst_over_attacks(kind: str, clean: tuple[Sequence[Example], Sequence[Any]],
                       by_attack: Mapping[str, Sequence[Attacked]], labels: Sequence[str], score: Score,
                       clean_values: Mapping[str, float]) -> dict[str, Any]:
    """Per example, its worst version over the clean text and every attack, scored together."""
    variants = [([r.example for r in results], [r.value for r in results]) for results in by_attack.values()]
    examples, values = worst_case_predictions(kind, clean, variants, labels)
    report = score(values, examples)
    return {"metrics": report,
            "drop": {m: clean_values[m] - v for m, v in report["values"].items() if v is not None and m in clean_values}}


def _rate(hits: int, n: int) -> dict[str, float | None]:
    if n == 0:
        return {"value": None, "low": None, "high": None}
    interval = binomtest(hits, n).proportion_ci(method="wilson")
    return {"value": hits / n, "low": float(interval.low), "high": float(interval.high)}


def _mean(values: Sequence[float], seed: int) -> dict[str, float | None]:
    if not values:
        return {"value": None, "low": None, "high": None}
    data = np.asarray(values, dtype=float)
    draws = np.random.default_rng(seed).integers(0, len(data), size=(N_BOOT, len(data)))
    means = data[draws].mean(axis=1)
    return {"value": float(data.mean()), "low": float(np.percentile(means, 2.5)),
            "high": float(np.percentile(means, 97.5))}
