"""The regression gate: candidate against baseline on every (task, split, metric) both have.

Scores are recomputed from the per-example predictions, aligned by example id, so both
sides are resampled on the same examples (the paired bootstrap of harness.compare.stats).
Seeds: when the sides share seeds, seed s of the candidate is paired with seed s of the
baseline and the delta is averaged over those seeds; when they share none, each side's
mean over its seeds is compared (pooled), still paired over examples.

Prompted runs recorded over prompt variants (--prompts, --prompt-formats, --demo-draws) on both
sides are gated on the mean over the variants both scored (same name, same prompt text), variant
paired with variant like seed with seed; the runs' headline is their first prompt as written.

A metric FAILS when the candidate is worse than the baseline by more than its tolerance
and the two-sided paired bootstrap p-value is below alpha. McNemar's exact test is
reported for accuracy; it does not decide.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.compare.grouping import Aligned, align_predictions, metric_options
from harness.compare.stats import (
    Interval,
    McNemarResult,
    Resampled,
    mcnemar,
    paired_delta,
    resample,
)
from harness.errors import HarnessError
from harness.metrics import example_stats, get_metric
from harness.regress.pairing import (
    TaskRuns,
    check_comparable,
    group_by_task,
    metric_names,
    runs_by_task,
)
from harness.regress.selection import Run
from harness.regress.tolerances import Tolerances
from harness.tasks.recorded_metrics import register_recorded_metrics

PASS = "PASS"
FAIL = "FAIL"
MISSING = "MISSING"
UNDEFINED = "UNDEFINED"  # the metric is undefined on the data: nothing to judge, not a failure

ALL_TASKS = "*"  # allow_missing entry that allows every task to be missing
_MCNEMAR_METRICS = ("accuracy",)  # metrics that are a share of examples right
_RECORDED_SLACK = 1e-9  # recomputed vs recorded score: rounding only


@dataclass(frozen=True)
class Check:
    """One (task, split, metric): the candidate against the baseline."""

    task: str
    split: str
    metric: str
    higher_is_better: bool
    tolerance: float
    verdict: str
    baseline: float | None = None  # mean over the seeds used
    candidate: float | None = None
    delta: float | None = None  # candidate - baseline
    interval: Interval | None = None  # of the delta, confidence 1 - alpha
    p_bootstrap: float | None = None  # two-sided
    mcnemar: McNemarResult | None = None
    pairing: str = ""  # "seeds" or "pooled"
    baseline_seeds: tuple[int, ...] = ()  # the seeds used on each side
    candidate_seeds: tuple[int, ...] = ()
    n_examples: int = 0
    allowed: bool = False  # a MISSING check the user allowed
    variants: int = 0  # prompt variants the delta is the mean over (0: the runs' own predictions)
    variants_better: int = 0  # of those (over the paired seeds), where the candidate scored higher / lower
    variants_worse: int = 0

    @property
    def failed(self) -> bool:
        return self.verdict == FAIL or (self.verdict == MISSING and not self.allowed)

    @property
    def p_mcnemar(self) -> float | None:
        return None if self.mcnemar is None else self.mcnemar.p_value


@dataclass(frozen=True)
class GateResult:
    checks: list[Check]
    baseline: dict[str, TaskRuns]
    candidate: dict[str, TaskRuns]
    alpha: float
    n_boot: int
    seed: int
    tolerances: Tolerances
    extra: list[str] = field(default_factory=list)  # "task" or "task split metric" only the candidate has
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if check.failed]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    @property
    def confidence(self) -> float:
        return 1 - self.alpha


def _worse_beyond(delta: float, tolerance: float, higher_is_better: bool) -> bool:
    drop = -delta if higher_is_better else delta
    return drop > tolerance + 1e-12  # scores are sums of 1/n steps: ignore float dust at the boundary


def verdict(delta: float | None, p_value: float | None, tolerance: float, higher_is_better: bool,
            alpha: float) -> str:
    if delta is None or p_value is None or not math.isfinite(delta) or not math.isfinite(p_value):
        return UNDEFINED
    if _worse_beyond(delta, tolerance, higher_is_better) and p_value < alpha:
        return FAIL
    return PASS


def _pooled(runs: Sequence[Resampled]) -> Resampled:
    """A side's mean over its seeds, resample by resample (same examples drawn for every seed)."""
    return Resampled(float(np.mean([r.value for r in runs])), np.mean([r.resamples for r in runs], axis=0),
                     runs[0].n_examples)


def _as(side: str, run: Run) -> dict[str, Any]:
    """The record under a side-qualified id: a copy of a run may sit on both sides with other predictions."""
    return {**run.record, "run_id": f"{side}:{run.run_id}"}


@dataclass
class _Scored:
    by_seed: dict[str, dict[int, Resampled]]  # side -> seed -> scores
    correct: dict[str, dict[int, np.ndarray]]  # side -> seed -> example right or not (McNemar)


class _TaskGate:
    """Every check of one task both sides have; predictions are read once."""

    def __init__(self, baseline: TaskRuns, candidate: TaskRuns, *, alpha: float, n_boot: int, seed: int,
                 tolerances: Tolerances, notes: list[str]):
        self.sides = {"baseline": baseline, "candidate": candidate}
        self.alpha, self.n_boot, self.seed, self.tolerances, self.notes = alpha, n_boot, seed, tolerances, notes
        self.records = {side: {s: _as(side, run) for s, run in runs.by_seed.items()}
                        for side, runs in self.sides.items()}
        self.predictions = {
            record["run_id"]: runs.by_seed[s].load_predictions()
            for side, runs in self.sides.items() for s, record in self.records[side].items()
        }
        self.variants = shared_variants([run for runs in self.sides.values() for run in runs.by_seed.values()])
        if self.variants:
            self._by_variant()
            notes.append(f"{baseline.task}: gated on the mean over the {len(self.variants)} prompt variants both sides "
                         "scored, paired variant to variant (the runs' headline is their first prompt as written)")

    def _by_variant(self) -> None:
        """Each run's record and predictions replaced by one per shared prompt variant, keyed (seed, variant)."""
        records: dict[str, dict] = {}
        predictions: dict[str, list] = {}
        for side, runs in self.sides.items():
            records[side] = {}
            for seed, record in self.records[side].items():
                references = {(row["split"], str(row["id"])): row["reference"]
                              for row in self.predictions[record["run_id"]]}
                for row in runs.by_seed[seed].load_spread():
                    if row["variant"] not in self.variants:
                        continue
                    key = (seed, row["variant"])
                    run_id = f"{record['run_id']}:{row['variant']}"
                    records[side][key] = {**record, "run_id": run_id}
                    predictions.setdefault(run_id, []).extend(
                        {"split": row["split"], "id": i, "prediction": p,
                         "reference": references[(row["split"], str(i))]}
                        for i, p in zip(row["ids"], row["predictions"]))
        self.records, self.predictions = records, predictions

    def checks(self, split: str, metrics: Sequence[str]) -> list[Check]:
        records = [r for side in self.sides for r in self.records[side].values()]
        aligned = align_predictions(records, self.predictions, split)  # refuses runs scored on other examples
        options = metric_options(records, aligned)
        return [self._check(split, name, aligned, options) for name in metrics]

    def _score(self, split: str, name: str, aligned: Aligned, options: dict[str, Any]) -> _Scored:
        metric = get_metric(name)
        scored = _Scored({}, {})
        for side, records in self.records.items():
            scored.by_seed[side], scored.correct[side] = {}, {}
            for s, record in records.items():
                predictions = aligned.predictions[record["run_id"]]
                rows = example_stats(name, predictions, aligned.references, **options)
                scored.by_seed[side][s] = resample(metric, rows, n_boot=self.n_boot, seed=self.seed)
                if name in _MCNEMAR_METRICS:
                    scored.correct[side][s] = np.asarray([p == r for p, r in zip(predictions, aligned.references)])
                if not self.variants:  # a record's metrics are its own predictions', not a variant's
                    self._compare_recorded(side, s, split, name, scored.by_seed[side][s].value)
        return scored

    def _compare_recorded(self, side: str, seed: int, split: str, name: str, value: float) -> None:
        run = self.sides[side].by_seed[seed]
        recorded = ((run.record["metrics"].get(split) or {}).get("values") or {}).get(name)
        if isinstance(recorded, (int, float)) and math.isfinite(value) and abs(recorded - value) > _RECORDED_SLACK:
            self.notes.append(f"{side} run {run.run_id} records {name} {recorded:.4f} on {split} but its predictions "
                              f"give {value:.4f}: the gate used the predictions")

    def _check(self, split: str, name: str, aligned: Aligned, options: dict[str, Any]) -> Check:
        task = self.sides["baseline"].task
        metric = get_metric(name)
        scored = self._score(split, name, aligned, options)
        base, cand = scored.by_seed["baseline"], scored.by_seed["candidate"]
        if self.variants and not set(base) & set(cand):  # no seed in common: each variant's mean over seeds
            base, cand = _per_variant(base), _per_variant(cand)
        shared = sorted(set(base) & set(cand))
        confidence = 1 - self.alpha
        if shared:
            pairing, base_seeds, cand_seeds = "seeds", tuple(shared), tuple(shared)
            paired = paired_delta(base, cand, confidence=confidence)
            base_value = float(np.mean([base[s].value for s in shared]))
            cand_value = float(np.mean([cand[s].value for s in shared]))
        else:
            pairing, base_seeds, cand_seeds = "pooled", tuple(base), tuple(cand)
            base_mean, cand_mean = _pooled(list(base.values())), _pooled(list(cand.values()))
            paired = paired_delta({0: base_mean}, {0: cand_mean}, confidence=confidence)
            base_value, cand_value = base_mean.value, cand_mean.value
        assert paired is not None  # both mappings hold the seeds paired above
        test = None
        if name in _MCNEMAR_METRICS and not self.variants:  # McNemar pairs runs, not a mean over variants
            # pooled: seeds paired in sorted order, as many as the side with fewer has
            pairs = list(zip(base_seeds, cand_seeds))
            test = mcnemar([scored.correct["baseline"][b] for b, _ in pairs],
                           [scored.correct["candidate"][c] for _, c in pairs])
        tolerance = self.tolerances.allowed_drop(task, name)
        better = worse = 0
        if self.variants:  # keys are (seed, variant) or variant: say which seeds were used, and the variants' wins
            sign = 1 if metric.higher_is_better else -1
            better = sum(sign * (cand[k].value - base[k].value) > 0 for k in shared)
            worse = sum(sign * (cand[k].value - base[k].value) < 0 for k in shared)
            pairing = "seeds" if all(isinstance(k, tuple) for k in shared) else "pooled"
            base_seeds = tuple(sorted({k[0] for k in shared})) if pairing == "seeds" else self.sides["baseline"].seeds
            cand_seeds = tuple(sorted({k[0] for k in shared})) if pairing == "seeds" else self.sides["candidate"].seeds
        return Check(
            task=task, split=split, metric=name, higher_is_better=metric.higher_is_better, tolerance=tolerance,
            verdict=verdict(paired.delta, paired.p_value, tolerance, metric.higher_is_better, self.alpha),
            baseline=base_value, candidate=cand_value, delta=paired.delta, interval=paired.interval,
            p_bootstrap=paired.p_value, mcnemar=test, pairing=pairing, baseline_seeds=base_seeds,
            candidate_seeds=cand_seeds, n_examples=len(aligned.ids), variants=len(self.variants),
            variants_better=better, variants_worse=worse,
        )


def shared_variants(runs: Sequence[Run]) -> list[str]:
    """The prompt variants every run scored with the same prompt text (name and hash), in the first run's order;
    [] unless every run has a prompt spread and they share two variants or more."""
    spreads = [run.record.get("prompt_spread") for run in runs]
    if not runs or not all(spreads):
        return []
    keys = [{(v["name"], v["prompt_hash"]) for v in spread["variants"]} for spread in spreads]
    common = set.intersection(*keys)
    names = [v["name"] for v in spreads[0]["variants"] if (v["name"], v["prompt_hash"]) in common]
    return names if len(names) > 1 else []


def _per_variant(by_key: dict) -> dict:
    """(seed, variant) -> scores, as variant -> the mean over seeds (pooled sides pair variant with variant)."""
    names = dict.fromkeys(variant for _, variant in by_key)
    return {name: _pooled([r for (_, v), r in by_key.items() if v == name]) for name in names}


def _missing(task: str, split: str, metric: str, tolerances: Tolerances, allowed: bool) -> Check:
    return Check(task=task, split=split, metric=metric, higher_is_better=get_metric(metric).higher_is_better,
                 tolerance=tolerances.allowed_drop(task, metric), verdict=MISSING, allowed=allowed)


def run_gate(
    baseline: Sequence[Run],
    candidate: Sequence[Run],
    *,
    tolerances: Tolerances | None = None,
    alpha: float = 0.05,
    n_boot: int = 1000,
    seed: int = 0,
    allow_missing: Collection[str] = (),
) -> GateResult:
    """Check every (task, split, metric) of the baseline in the candidate.

    `allow_missing` holds task names (or ALL_TASKS) the candidate may lack without failing.
    Raises HarnessError (bad input, exit 2) for sides that cannot be compared.
    """
    if not 0 < alpha < 1:
        raise HarnessError(f"alpha must lie strictly between 0 and 1 (e.g. 0.05), got {alpha!r}")
    tolerances = tolerances or Tolerances()
    register_recorded_metrics(run.record for run in [*baseline, *candidate])  # evaluate: metrics come from task files
    cand = group_by_task(candidate, "candidate")
    base_only = {task: runs for task, runs in runs_by_task(baseline).items() if task not in cand}
    base = group_by_task([run for run in baseline if run.task in cand], "baseline", like=cand)
    for task in base.keys() & cand.keys():  # every refusal before any prediction is read
        check_comparable(base[task], cand[task])

    checks: list[Check] = []
    for task, runs in base_only.items():  # missing from the candidate, whichever configurations the baseline has
        allowed = ALL_TASKS in allow_missing or task in allow_missing
        checks += [_missing(task, split, m, tolerances, allowed) for split, ms in metric_names(runs).items() for m in ms]
    extra = [task for task in cand if task not in base]
    notes: list[str] = []
    for task, base_runs in base.items():
        base_metrics = base_runs.metric_names()
        allowed = ALL_TASKS in allow_missing or task in allow_missing
        cand_metrics = cand[task].metric_names()
        gate = _TaskGate(base_runs, cand[task], alpha=alpha, n_boot=n_boot, seed=seed, tolerances=tolerances,
                         notes=notes)
        for split, names in base_metrics.items():
            shared = [m for m in names if m in cand_metrics.get(split, ())]
            if shared:
                checks += gate.checks(split, shared)
            checks += [_missing(task, split, m, tolerances, allowed) for m in names if m not in shared]
        extra += [f"{task} {split} {m}" for split, names in cand_metrics.items() for m in names
                  if m not in base_metrics.get(split, ())]
    return GateResult(checks, base, cand, alpha, n_boot, seed, tolerances, extra, notes)
