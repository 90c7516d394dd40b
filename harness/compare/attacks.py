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

from harness.compare.grouping import (
    MethodRuns,
    check_comparable,
    find_reference,
    group_methods,
)
from harness.compare.remedies import Rows, Scored, WorstScores, finite_mean
from harness.errors import HarnessError


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
    scores = WorstScores(first, predictions, alpha=alpha, n_boot=n_boot, seed=seed)
    split, metric = scores.split, scores.metric
    settings = {(tuple(r["attack"][split]["attacks"]), r["attack"][split]["budget"], r["attack"][split]["max_share"])
                for r in records}
    if len(settings) != 1:
        raise HarnessError("comparing runs under attack needs every run attacked alike (the same attacks, budget and "
                           "share): attack them again with one `harness robustness --attack ...`")
    names, budget, max_share = next(iter(settings))
    perturbations = {tuple(sorted(((r.get("robustness") or {}).get(split) or {}).get("perturbations") or ()))
                     for r in records}
    random_names = next(iter(perturbations)) if len(perturbations) == 1 else ()

    def group_score(group: MethodRuns, versions: Mapping[str, Rows], names: Sequence[str]) -> Scored:
        return scores.group(group, versions, names, ref)

    attacked = {run_id: as_perturbed_rows(rows) for run_id, rows in attacked.items()}
    rows = []
    for group in [ref, *[g for g in groups if g is not ref]]:
        reports = [r["attack"][split]["attacks"] for r in group.by_seed.values()]
        rows.append(AttackRow(
            label=group.label, seeds=tuple(group.by_seed), clean=group_score(group, {}, ()),
            random_worst=group_score(group, perturbed, random_names) if random_names else None,
            under_attack=group_score(group, attacked, names),
            by_attack={n: finite_mean([rep[n]["metrics"]["values"][metric.name] for rep in reports]) for n in names},
            success={n: finite_mean([rep[n]["success_rate"]["value"] for rep in reports]) for n in names},
            queries={n: finite_mean([rep[n]["queries_mean"]["value"] for rep in reports]) for n in names},
        ))
    return AttackComparison(first["task"]["name"], first["spec"]["model"], split, metric.name, ref.label, alpha,
                            n_boot, tuple(names), budget, max_share, rows)

