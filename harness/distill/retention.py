"""Retention: how much of its teacher's score a distilled student keeps, per split and metric."""

from __future__ import annotations

from typing import Any


def with_retention(facts: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    """`facts` plus, per split both report, the student's score as a share of the teacher's (every metric)."""
    retention = {}
    for split, teacher_values in facts["teacher_scores"].items():
        if split not in metrics:
            continue
        retention[split] = {name: (metrics[split]["values"][name] / value if value else None)
                            for name, value in teacher_values.items() if name in metrics[split]["values"]}
    headline = facts["teacher_headline"]
    value = headline.get("value")
    student = (metrics.get(headline["split"]) or {}).get("values", {}).get(headline["metric"])
    return {**facts, "retention": retention,
            "headline_retention": None if not value or student is None else student / value}
