"""Output ensembles: recorded runs' per-example outputs combined into one prediction each, no model loaded.

    outcome = ensemble(["f7fc2e", "8a6ae4", "6d1b17"], results="results", combine="soft")
    outcome.record["headline"], outcome.record["fusion"]["against"]["best"]["p_value"]

The ensemble is recorded like a run (harness.fusion.record), with its task's metrics and
intervals, paired tests against its best and its mean member, and its cost: every member's
forward pass at inference, and every member's size.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness.errors import HarnessError
from harness.fusion.fit import fit_weights
from harness.fusion.members import Member, Selection, find_members, load_members
from harness.fusion.record import fused_id, fused_record, member_facts
from harness.fusion.scoring import against, score_rows
from harness.fusion.votes import Outputs, check_weights, get_combiner
from harness.record.store import ResultStore
from harness.tasks import TaskDef, kinds

N_BOOT = 1000


@dataclass
class FusionOutcome:
    record: dict[str, Any]
    path: Path
    skipped: bool  # already recorded: nothing was combined again


def ensemble(run_ids: Sequence[str] = (), *, selection: Selection | None = None, results: Path | str = "results",
             combine: str = "soft", weights: Sequence[float] | None = None, fit: bool = False,
             data_dir: Path | None = None, tasks_dirs: Sequence[Path] | None = None, n_boot: int = N_BOOT,
             force: bool = False) -> FusionOutcome:
    """Combine the members' recorded outputs (by run id, or chosen by `selection`) and record the ensemble;
    `fit`: weights fitted on the members' selection-split outputs (harness.fusion.fit)."""
    started = time.perf_counter()
    store = ResultStore(results)
    combiner = get_combiner(combine)
    paths = find_members(store, run_ids, selection)
    if fit and weights is not None:
        raise HarnessError("give --weights or --fit-weights, not both")
    normalised = check_weights(weights, len(paths))
    members, task = load_members(paths, tasks_dirs=tasks_dirs, data_dir=data_dir, needs_probabilities=True)
    fitted_on = None
    if fit:
        normalised, split, examples = fit_weights(task, members)
        fitted_on = {"split": split, "examples": examples}
    shares = None if weights is None and not fit else [round(float(w), 6) for w in normalised]
    options = {"combine": combiner.name, "weights": shares, **({"fitted_on": fitted_on["split"]} if fit else {})}
    run_id = fused_id("ensemble", members, options)
    if not force and store.exists(task.name, run_id):
        return FusionOutcome(store.load(task.name, run_id), store.record_path(task.name, run_id), skipped=True)
    store.check_writable()
    combining = time.perf_counter()
    rows = combine_rows(members, task, combiner.by_kind[task.kind], normalised)
    combine_seconds = time.perf_counter() - combining
    metrics = score_rows(task, rows, n_boot, reported=list(members[0].record["metrics"]))
    fusion = {"kind": "ensemble", "combine": combiner.name, "weights": options["weights"], "fitted_on": fitted_on,
              "members": member_facts(members), "combine_seconds": round(combine_seconds, 4),
              "against": against(task, members, rows, n_boot)}
    record = fused_record("ensemble", members, task, options, metrics, fusion, _costs(members, task),
                          _inference(members), started)
    return FusionOutcome(record, store.write(record, rows), skipped=False)


def combine_rows(members: Sequence[Member], task: TaskDef, combine, weights: np.ndarray) -> list[dict[str, Any]]:
    """One predictions row per example of every reported split, and of the selection split when every member
    kept it, in the first member's order."""
    labels = list(task.labels)
    rows = []
    for key, first in members[0].rows.items():
        if any(key not in m.rows for m in members):
            continue
        outputs = _outputs([m.rows[key] for m in members], task)
        prediction, probabilities = combine(outputs, weights, labels)
        if task.kind == kinds.TOKEN_CLASSIFICATION:
            prediction = [labels[t] for t in prediction]
        row = {"split": first["split"], "id": first["id"], "prediction": prediction, "reference": first["reference"]}
        if probabilities is not None:
            row["probabilities"] = probabilities
        rows.append(row)
    return rows


def _outputs(rows: Sequence[dict[str, Any]], task: TaskDef) -> Outputs:
    if task.kind == kinds.REGRESSION:
        return Outputs([row["prediction"] for row in rows], None)
    probabilities = [np.asarray(row["probabilities"], dtype=float) for row in rows]
    if task.kind == kinds.TOKEN_CLASSIFICATION:
        index = {tag: i for i, tag in enumerate(task.labels)}
        return Outputs([[index[tag] for tag in row["prediction"]] for row in rows], probabilities)
    return Outputs([int(np.argmax(p)) if row["prediction"] is None else row["prediction"]
                    for row, p in zip(rows, probabilities)], probabilities)


def _costs(members: Sequence[Member], task: TaskDef) -> dict[str, Any]:
    """Every member runs at inference: their parameters, sizes and per-example times add up (adapters of one
    base share it: its size is counted once)."""
    costs = [m.record.get("costs") or {} for m in members]
    total = sum(int(c.get("total_parameters") or 0) for c in costs)
    trainable = sum(int(c.get("trainable_parameters") or 0) for c in costs)
    deploy = [int(c.get("deploy_bytes") or 0) for c in costs]
    whole = [int(c.get("whole_model_bytes") or 0) for c in costs]
    adapters = all(d < w for d, w in zip(deploy, whole))
    seconds = [((m.record.get("inference") or {}).get(task.headline_split) or {}) for m in members]
    per_example = sum(s.get("seconds", 0) / max(s.get("examples", 1), 1) for s in seconds)
    return {"members": len(members), "total_parameters": total, "trainable_parameters": trainable,
            "trainable_share": trainable / total if total else None,
            "deploy_bytes": sum(deploy) + (max(whole) if adapters else 0),
            "train_seconds": round(sum(float(c.get("train_seconds") or 0) for c in costs), 3),
            "inference_examples_per_second": round(1 / per_example, 2) if per_example > 0 else None}


def _inference(members: Sequence[Member]) -> dict[str, Any]:
    """Per split: the members' recorded inference times added up (each member predicts every example)."""
    splits: dict[str, dict[str, Any]] = {}
    for member in members:
        for split, summary in (member.record.get("inference") or {}).items():
            entry = splits.setdefault(split, {"examples": summary.get("examples", 0), "seconds": 0.0})
            entry["seconds"] = round(entry["seconds"] + float(summary.get("seconds") or 0), 3)
    for entry in splits.values():
        entry["examples_per_second"] = round(entry["examples"] / entry["seconds"], 2) if entry["seconds"] else None
    return splits
