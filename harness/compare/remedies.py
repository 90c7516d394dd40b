"""Remedies for robustness against no remedy: clean score, worst case over unseen and seen noise, paired tests.

    table = build_remedy_comparison(records, predictions, perturbed, reference="full (none)")

Every row is one remedy over seeds. Its worst case over *unseen* perturbations is taken over the
perturbations it did not train on, and the reference (no remedy) is scored on the same ones, so
the paired test compares the two models on the same noise; the worst case over *seen* ones exists
only for augmented runs. Worst cases are per example, as the robustness report takes them (an
example counts as correct only when every version of it is; NER: the sentence version with the
most entity errors), rebuilt from the per-example rows in `<run>.perturbed.jsonl.gz`, so they can
be resampled and paired like the clean score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.compare.grouping import (
    MethodRuns,
    check_comparable,
    find_reference,
    group_methods,
)
from harness.compare.stats import (
    PairedResult,
    Resampled,
    paired_delta,
    resample,
    seed_summary,
)
from harness.errors import HarnessError
from harness.metrics import example_stats, get_metric
from harness.metrics.entities import RUN_MODE, entity_spans
from harness.tasks import kinds

Rows = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Scored:
    mean: float
    std: float
    paired: PairedResult | None = None  # against the reference on the same perturbations
    reference_mean: float | None = None  # the reference's mean over the paired seeds, on the same perturbations


@dataclass(frozen=True)
class RemedyRow:
    label: str
    seeds: tuple[int, ...]
    clean: Scored
    unseen: Scored | None  # None when the run had every perturbation in training, or none was evaluated
    seen: Scored | None  # augmented runs only
    seen_names: tuple[str, ...]
    drops: dict[str, float]  # perturbation -> mean drop from clean over seeds (positive: a loss)
    train_seconds: float
    seconds_per_step: float


@dataclass(frozen=True)
class RemedyComparison:
    task: str
    model: str
    split: str
    metric: str
    reference: str
    alpha: float
    n_boot: int
    perturbations: tuple[str, ...]
    rows: list[RemedyRow] = field(default_factory=list)


def _seen(record: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(((record.get("remedy") or {}).get("augment") or {}).get("seen") or ())


def _badness(kind: str, row: Mapping[str, Any]) -> float:
    if kind == kinds.TOKEN_CLASSIFICATION:
        predicted, gold = entity_spans(row["prediction"], RUN_MODE), entity_spans(row["reference"], RUN_MODE)
        return len(set(predicted) ^ set(gold))
    if kind == kinds.REGRESSION:
        return abs(float(row["prediction"]) - float(row["reference"]))
    return float(row["prediction"] != row["reference"])


def worst_rows(kind: str, clean: Rows, perturbed: Rows, names: Sequence[str], split: str) -> list[dict[str, Any]]:
    """Per clean example of `split` (in their order), its worst version over clean and the `names` perturbations,
    as {"id", "prediction", "reference"}; clean wins ties."""
    versions: dict[Any, list[Mapping[str, Any]]] = {}
    order = []
    for row in clean:
        if row.get("split") == split:
            key = _key(row["id"])
            order.append(key)
            versions[key] = [row]
    wanted = set(names)
    for row in perturbed:
        if row.get("split") == split and row.get("perturbation") in wanted and _key(row["id"]) in versions:
            clean_row = versions[_key(row["id"])][0]
            versions[_key(row["id"])].append({**row, "reference": row.get("reference", clean_row["reference"])})
    found = {row.get("perturbation") for row in perturbed if row.get("split") == split}
    missing = sorted(wanted - found)
    if missing:
        raise HarnessError(f"no per-example predictions under {', '.join(missing)} on {split}; the run was recorded "
                           "without them (before they were kept, or without --perturb): rerun it with --force")
    return [dict(max(versions[key], key=lambda row: _badness(kind, row))) for key in order]


def _key(example_id: Any) -> Any:
    return tuple(example_id) if isinstance(example_id, list) else example_id


class WorstScores:
    """Runs scored on each example's worst version (over the named perturbations or attacks), resampled, and
    summarised over seeds with a paired test against a reference: what the remedy and attack comparisons share."""

    def __init__(self, first: Mapping[str, Any], predictions: Mapping[str, Rows], *, alpha: float, n_boot: int,
                 seed: int) -> None:
        self.split, self.metric = first["headline"]["split"], get_metric(first["headline"]["metric"])
        self.kind, labels = first["task"]["kind"], list(first["task"].get("labels") or [])
        self.options = {"tag_names": labels} if self.kind == kinds.TOKEN_CLASSIFICATION else \
            {"num_classes": len(labels)} if self.kind in kinds.CLASSIFICATION_KINDS and labels else {}
        self.predictions, self.alpha, self.n_boot, self.seed = predictions, alpha, n_boot, seed

    def resampled(self, record: Mapping[str, Any], versions: Rows, names: Sequence[str]) -> Resampled:
        rows = worst_rows(self.kind, self.predictions[record["run_id"]], versions, names, self.split)
        stats = example_stats(self.metric.name, [r["prediction"] for r in rows], [r["reference"] for r in rows],
                              **self.options)
        return resample(self.metric, stats, n_boot=self.n_boot, seed=self.seed)

    def group(self, group: MethodRuns, versions: Mapping[str, Rows], names: Sequence[str],
              against: MethodRuns | None) -> Scored:
        """Mean and std over the group's seeds; paired against `against` unless it is None or the group itself."""
        def of(runs: MethodRuns) -> dict[int, Resampled]:
            return {s: self.resampled(r, versions.get(r["run_id"], ()), names) for s, r in runs.by_seed.items()}

        runs = of(group)
        summary = seed_summary([run.value for run in runs.values()])
        paired, reference_mean = None, None
        if against is not None and against is not group:
            reference = of(against)
            paired = paired_delta(reference, runs, confidence=1 - self.alpha)
            if paired is not None:
                reference_mean = float(np.mean([reference[s].value for s in paired.seeds]))
        return Scored(summary.mean, summary.std, paired, reference_mean)


def build_remedy_comparison(records: Sequence[Mapping[str, Any]], predictions: Mapping[str, Rows],
                            perturbed: Mapping[str, Rows], *, reference: str, alpha: float = 0.05,
                            n_boot: int = 1000, seed: int = 0) -> RemedyComparison:
    """Every remedy in `records` (runs of one task and model, evaluated with --perturb) against `reference`."""
    records = [dict(r) for r in records]
    check_comparable(records)
    groups = group_methods(records)
    ref = find_reference(groups, reference)
    first = records[0]
    scores = WorstScores(first, predictions, alpha=alpha, n_boot=n_boot, seed=seed)
    split, metric = scores.split, scores.metric
    everything = _perturbations(records, split)

    def group_score(group: MethodRuns, names: Sequence[str], against: MethodRuns | None) -> Scored:
        return scores.group(group, perturbed, names, against)

    rows = []
    for group in [ref, *[g for g in groups if g is not ref]]:
        seen = _seen(next(iter(group.by_seed.values())))
        unseen = [name for name in everything if name not in seen]
        rows.append(RemedyRow(
            label=group.label, seeds=tuple(group.by_seed), clean=group_score(group, (), ref),
            unseen=group_score(group, unseen, ref) if unseen else None,
            seen=group_score(group, [n for n in everything if n in seen], None) if seen else None,
            seen_names=seen, drops=_mean_drops(group, split, metric.name),
            train_seconds=finite_mean([r.get("costs", {}).get("train_seconds") for r in group.by_seed.values()]),
            seconds_per_step=finite_mean([_per_step(r) for r in group.by_seed.values()]),
        ))
    return RemedyComparison(first["task"]["name"], first["spec"]["model"], split, metric.name, ref.label, alpha,
                            n_boot, tuple(everything), rows)


def _perturbations(records: Sequence[Mapping[str, Any]], split: str) -> list[str]:
    """The perturbations every run was evaluated under (the same list, or the comparison is refused)."""
    lists = {tuple(sorted(((r.get("robustness") or {}).get(split) or {}).get("perturbations") or ()))
             for r in records}
    if len(lists) != 1 or not next(iter(lists)):
        raise HarnessError("comparing remedies needs every run evaluated under the same perturbations: run them all "
                           "with the same --perturb (e.g. --perturb all)")
    return list(next(iter(lists)))


def _mean_drops(group: MethodRuns, split: str, metric: str) -> dict[str, float]:
    drops: dict[str, list[float]] = {}
    for record in group.by_seed.values():
        for name, entry in record["robustness"][split]["perturbations"].items():
            drops.setdefault(name, []).append(entry["drop"][metric])
    return {name: float(np.mean(values)) for name, values in drops.items()}


def _per_step(record: Mapping[str, Any]) -> float | None:
    training = record.get("training") or {}
    steps, seconds = training.get("steps"), training.get("train_seconds")
    return seconds / steps if steps and seconds is not None else None


def finite_mean(values: Sequence[float | None]) -> float:
    known = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(known)) if known else float("nan")
