"""A combination's scores from its predictions rows: every split's metrics, and the paired tests against members."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.fusion.members import Member
from harness.fusion.paired import against_members
from harness.fusion.record import member_facts
from harness.metrics import evaluate, example_stats, get_metric
from harness.tasks import TaskDef, kinds


def _options(task: TaskDef) -> dict[str, Any]:
    if task.kind == kinds.TOKEN_CLASSIFICATION:
        return {"tag_names": list(task.labels)}
    return {"num_classes": task.num_labels} if task.kind in kinds.CLASSIFICATION_KINDS else {}


def _split_rows(rows: Sequence[dict[str, Any]], split: str) -> tuple[list, list]:
    chosen = [row for row in rows if row["split"] == split]
    return [row["prediction"] for row in chosen], [row["reference"] for row in chosen]


def score_rows(task: TaskDef, rows: Sequence[dict[str, Any]], n_boot: int,
               reported: Sequence[str]) -> dict[str, Any]:
    """Every reported split's metrics with intervals, from predictions rows (selection-split rows stay unscored)."""
    metrics = {}
    for split in reported:
        predictions, references = _split_rows(rows, split)
        metrics[split] = evaluate(list(task.metrics), predictions, references, n_boot=n_boot, seed=0,
                                  **_options(task)).to_dict()
    return metrics


def against(task: TaskDef, members: Sequence[Member], rows: Sequence[dict[str, Any]], n_boot: int) -> dict[str, Any]:
    metric = get_metric(task.headline)
    split = task.headline_split
    predictions, references = _split_rows(rows, split)
    per_member = {m.run_id: example_stats(metric.name, *_split_rows(list(m.rows.values()), split), **_options(task))
                  for m in members}
    return against_members(metric, example_stats(metric.name, predictions, references, **_options(task)),
                           per_member, {f["run_id"]: f["selection_score"] for f in member_facts(members)},
                           n_boot=max(n_boot, 1))
