"""build_comparison(): recorded runs of one task -> one row per method against a reference.

Scores are recomputed from the per-example predictions on the headline split (the same
numbers the records hold), so that every run can be resampled on the same examples. The
verdict comes from the paired bootstrap at level alpha; its interval uses confidence
1 - alpha, so "indistinguishable" goes with an interval of the delta that holds 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.compare.grouping import (
    MethodRuns,
    align_predictions,
    check_comparable,
    find_reference,
    group_methods,
    metric_options,
)
from harness.compare.stats import (
    Interval,
    McNemarResult,
    PairedResult,
    Resampled,
    mcnemar,
    paired_delta,
    resample,
    seed_mean_interval,
    seed_summary,
)
from harness.errors import HarnessError
from harness.metrics import example_stats, get_metric

REFERENCE = "reference"
BETTER = "better"
WORSE = "worse"
INDISTINGUISHABLE = "indistinguishable"
NO_PAIRED_SEEDS = "no paired seeds"
UNDEFINED = "undefined"  # the metric is undefined on most resamples (e.g. F1 with no positives)

_COST_FIELDS = (
    "trainable_parameters", "total_parameters", "trainable_share", "deploy_bytes", "train_seconds",
    "train_examples_per_second", "peak_train_memory_mb", "inference_examples_per_second",
)


@dataclass(frozen=True)
class Costs:
    """Means over a method's seeds of record["costs"]; None where no run recorded it."""

    trainable_parameters: float | None = None
    total_parameters: float | None = None
    trainable_share: float | None = None
    deploy_bytes: float | None = None
    train_seconds: float | None = None
    train_examples_per_second: float | None = None
    peak_train_memory_mb: float | None = None
    inference_examples_per_second: float | None = None
    memory_kind: str | None = None  # "rss" or "cuda"; "mixed" when the seeds differ


@dataclass(frozen=True)
class MethodRow:
    method: str
    label: str  # the method, plus settings when it ran in several configurations
    seeds: tuple[int, ...]
    scores: tuple[float, ...]  # the headline score of each seed, in seed order
    mean: float
    std: float  # over seeds; nan with one seed
    interval: Interval  # bootstrap interval of the mean over seeds (examples resampled)
    costs: Costs
    verdict: str
    delta: float | None = None  # mean over paired seeds of score - reference score
    delta_interval: Interval | None = None
    p_value: float | None = None  # paired bootstrap, two-sided
    paired_seeds: tuple[int, ...] = ()
    mcnemar: McNemarResult | None = None  # accuracy only
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def mcnemar_p(self) -> float | None:
        return None if self.mcnemar is None else self.mcnemar.p_value


@dataclass(frozen=True)
class Comparison:
    task: str
    model: str
    kind: str
    split: str
    metric: str
    higher_is_better: bool
    reference: str  # the reference row's label
    alpha: float
    n_boot: int
    seed: int
    n_examples: int
    rows: list[MethodRow]  # the reference first, then by mean score, best first

    @property
    def confidence(self) -> float:
        return 1 - self.alpha

    @property
    def has_mcnemar(self) -> bool:
        return any(row.mcnemar is not None for row in self.rows)

    def row(self, label: str) -> MethodRow:
        for row in self.rows:
            if row.label == label or row.method == label:
                return row
        raise HarnessError(f"no method {label} in this comparison (methods: {', '.join(r.label for r in self.rows)})")

    def best(self) -> MethodRow | None:
        """The row with the best mean score (None when no score is defined)."""
        scored = [row for row in self.rows if math.isfinite(row.mean)]
        if not scored:
            return None
        sign = 1 if self.higher_is_better else -1
        return max(scored, key=lambda row: sign * row.mean)


def _mean_costs(records: Sequence[Mapping[str, Any]]) -> Costs:
    costs = [record.get("costs") or {} for record in records]
    means: dict[str, Any] = {}
    for name in _COST_FIELDS:
        values = [c[name] for c in costs if isinstance(c.get(name), (int, float)) and math.isfinite(c[name])]
        means[name] = float(np.mean(values)) if values else None
    kinds_seen = {c["memory_kind"] for c in costs if c.get("memory_kind")}
    memory_kind = kinds_seen.pop() if len(kinds_seen) == 1 else ("mixed" if kinds_seen else None)
    return Costs(**means, memory_kind=memory_kind)


def _verdict(paired: PairedResult | None, alpha: float, higher_is_better: bool) -> str:
    if paired is None:
        return NO_PAIRED_SEEDS
    if not math.isfinite(paired.p_value) or not math.isfinite(paired.delta):
        return UNDEFINED
    if paired.p_value >= alpha or paired.delta == 0:
        return INDISTINGUISHABLE
    return BETTER if (paired.delta > 0) == higher_is_better else WORSE


def _correct(predictions: Sequence[Any], references: Sequence[Any]) -> np.ndarray:
    return np.asarray([p == r for p, r in zip(predictions, references)], dtype=bool)


def build_comparison(
    runs: Sequence[Mapping[str, Any]],
    predictions: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    reference: str = "full",
    alpha: float = 0.05,
    n_boot: int = 1000,
    seed: int = 0,
) -> Comparison:
    """Compare every method in `runs` (records of one task and model) with `reference`.

    `predictions` maps run_id -> that run's prediction rows ({"split", "id", "prediction",
    "reference"}). Raises HarnessError when the runs cannot be compared.
    """
    if not 0 < alpha < 1:
        raise HarnessError(f"alpha must lie strictly between 0 and 1 (e.g. 0.05), got {alpha!r}")
    records = [dict(run) for run in runs]
    check_comparable(records)
    methods = group_methods(records)
    ref = find_reference(methods, reference)
    first = records[0]
    split, metric = first["headline"]["split"], get_metric(first["headline"]["metric"])

    unique = list({r["run_id"]: r for m in methods for r in m.by_seed.values()}.values())
    aligned = align_predictions(unique, predictions, split)
    options = metric_options(unique, aligned)
    scored: dict[str, Resampled] = {}
    for record in unique:
        rows = example_stats(metric.name, aligned.predictions[record["run_id"]], aligned.references, **options)
        scored[record["run_id"]] = resample(metric, rows, n_boot=n_boot, seed=seed)

    def by_seed(m: MethodRuns) -> dict[int, Resampled]:
        return {s: scored[record["run_id"]] for s, record in m.by_seed.items()}

    def correct(m: MethodRuns, seeds: Sequence[int]) -> list[np.ndarray]:
        return [_correct(aligned.predictions[m.by_seed[s]["run_id"]], aligned.references) for s in seeds]

    confidence = 1 - alpha
    rows = []
    for m in methods:
        scores = by_seed(m)
        summary = seed_summary([run.value for run in scores.values()])
        common = dict(
            method=m.method, label=m.label, seeds=tuple(m.by_seed), scores=tuple(r.value for r in scores.values()),
            mean=summary.mean, std=summary.std, interval=seed_mean_interval(scores, confidence=confidence),
            costs=_mean_costs(list(m.by_seed.values())), settings=m.settings,
        )
        if m is ref:
            rows.append(MethodRow(**common, verdict=REFERENCE))
            continue
        paired = paired_delta(by_seed(ref), scores, confidence=confidence)
        test = None
        if paired is not None and metric.name == "accuracy":
            test = mcnemar(correct(ref, paired.seeds), correct(m, paired.seeds))
        rows.append(MethodRow(
            **common, verdict=_verdict(paired, alpha, metric.higher_is_better),
            delta=None if paired is None else paired.delta, delta_interval=None if paired is None else paired.interval,
            p_value=None if paired is None else paired.p_value, paired_seeds=() if paired is None else paired.seeds,
            mcnemar=test,
        ))

    sign = -1 if metric.higher_is_better else 1
    rows.sort(key=lambda row: (row.verdict != REFERENCE, not math.isfinite(row.mean),
                               sign * row.mean if math.isfinite(row.mean) else 0.0, row.label))
    return Comparison(
        task=first["task"]["name"], model=first["spec"]["model"], kind=first["task"]["kind"], split=split,
        metric=metric.name, higher_is_better=metric.higher_is_better, reference=ref.label, alpha=alpha,
        n_boot=n_boot, seed=seed, n_examples=len(aligned.ids), rows=rows,
    )
