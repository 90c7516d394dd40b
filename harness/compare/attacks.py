"""Runs under attack side by side: clean score, random-noise worst case and score under attack, paired tests.

    comparison = build_attack_comparison(records, predictions, perturbed, attacked, reference="full")

Every row is one method (or remedy) over seeds. The score under attack is per example, its worst
version over the clean text and every attack the run met (an example counts as correct only when
no attack flipped it), rebuilt from the per-example rows in `<run>.attacked.jsonl.gz`, so it is
resampled and paired against the reference like the clean score. The random worst case is the
robustness report's (every perturbation recorded), when the runs were evaluated with --perturb.
"""

from __future__ import annotations

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
from harness.compare.remedies import Rows, Scored, worst_rows
from harness.compare.stats import paired_delta, resample, seed_summary
from harness.errors import HarnessError
from harness.metrics import example_stats, get_metric
from harness.tasks import kinds


@dataclass(frozen=True)
class AttackRow:
    label: str
    seeds: tuple[int, ...]
    clean: Scored
    random_worst: Scored | None  # None when the runs were not evaluated with --perturb
    under_attack: Scored
    by_attack: dict[str, float]  # attack -> mean score under it over seeds
    success: dict[str, float]  # attack -> mean success rate over seeds
    queries: dict[str, float]  # attack -> mean queries per attacked example over seeds


@dataclass(frozen=True)
class AttackComparison:
    task: str
    model: str
    split: str
    metric: str
    reference: str
    alpha: float
    n_boot: int
    attacks: tuple[str, ...]
    budget: int
    max_share: float
    rows: list[AttackRow] = field(default_factory=list)


def attacked_everywhere(records: Sequence[Mapping[str, Any]]) -> bool:
    """Every record has attacks on its headline split (the comparison applies)."""
    return bool(records) and all((r.get("attack") or {}).get(r["headline"]["split"]) for r in records)


def as_perturbed_rows(rows: Rows) -> list[dict[str, Any]]:
    """Attacked rows in the shape of perturbed rows (the attack as the perturbation; tags never change)."""
    return [{"split": r["split"], "perturbation": r["attack"], "id": r["id"], "prediction": r["prediction"]}
            for r in rows]


def build_attack_comparison(records: Sequence[Mapping[str, Any]], predictions: Mapping[str, Rows],
                            perturbed: Mapping[str, Rows], attacked: Mapping[str, Rows], *, reference: str,
                            alpha: float = 0.05, n_boot: int = 1000, seed: int = 0) -> AttackComparison:
    """Every method (or remedy) in `records`, all attacked alike, against `reference`."""
    records = [dict(r) for r in records]
    check_comparable(records)
    groups = group_methods(records)
    ref = find_reference(groups, reference)
    first = records[0]
    split, metric = first["headline"]["split"], get_metric(first["headline"]["metric"])
    kind, labels = first["task"]["kind"], list(first["task"].get("labels") or [])
    settings = {(tuple(r["attack"][split]["attacks"]), r["attack"][split]["budget"], r["attack"][split]["max_share"])
                for r in records}
    if len(settings) != 1:
        raise HarnessError("comparing runs under attack needs every run attacked alike (the same attacks, budget and "
                           "share): attack them again with one `harness robustness --attack ...`")
    names, budget, max_share = next(iter(settings))
    perturbations = {tuple(sorted(((r.get("robustness") or {}).get(split) or {}).get("perturbations") or ()))
                     for r in records}
    random_names = next(iter(perturbations)) if len(perturbations) == 1 else ()
    options = {"tag_names": labels} if kind == kinds.TOKEN_CLASSIFICATION else \
        {"num_classes": len(labels)} if kind in kinds.CLASSIFICATION_KINDS and labels else {}

    def scored(record: Mapping[str, Any], versions: Rows, wanted: Sequence[str]):
        rows = worst_rows(kind, predictions[record["run_id"]], versions, wanted, split)
        stats = example_stats(metric.name, [r["prediction"] for r in rows], [r["reference"] for r in rows], **options)
        return resample(metric, stats, n_boot=n_boot, seed=seed)

    def group_score(group: MethodRuns, source: Mapping[str, Rows], wanted: Sequence[str]) -> Scored:
        def of(runs: MethodRuns):
            return {s: scored(r, source.get(r["run_id"], ()), wanted) for s, r in runs.by_seed.items()}
        runs = of(group)
        summary = seed_summary([run.value for run in runs.values()])
        paired, reference_mean = None, None
        if group is not ref:
            against = of(ref)
            paired = paired_delta(against, runs, confidence=1 - alpha)
            if paired is not None:
                reference_mean = float(np.mean([against[s].value for s in paired.seeds]))
        return Scored(summary.mean, summary.std, paired, reference_mean)

    attacked = {run_id: as_perturbed_rows(rows) for run_id, rows in attacked.items()}
    rows = []
    for group in [ref, *[g for g in groups if g is not ref]]:
        reports = [r["attack"][split]["attacks"] for r in group.by_seed.values()]
        rows.append(AttackRow(
            label=group.label, seeds=tuple(group.by_seed), clean=group_score(group, {}, ()),
            random_worst=group_score(group, perturbed, random_names) if random_names else None,
            under_attack=group_score(group, attacked, names),
            by_attack={n: _mean([rep[n]["metrics"]["values"][metric.name] for rep in reports]) for n in names},
            success={n: _mean([rep[n]["success_rate"]["value"] for rep in reports]) for n in names},
            queries={n: _mean([rep[n]["queries_mean"]["value"] for rep in reports]) for n in names},
        ))
    return AttackComparison(first["task"]["name"], first["spec"]["model"], split, metric.name, ref.label, alpha,
                            n_boot, tuple(names), budget, max_share, rows)


def _mean(values: Sequence[float | None]) -> float:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else float("nan")
