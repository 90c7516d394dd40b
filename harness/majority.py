"""The majority-class baseline of a classification run: always the training split's most frequent label,
scored like the run on every reported split (with the same metrics and bootstrap intervals).

Prompted runs record it in their `prompting` section, fine-tuned runs at the record's top level
(`majority_class`); `recorded_majority(record)` reads either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from harness.tasks import Example, TaskDef, kinds

CLASSIFICATION = (kinds.TEXT_CLASSIFICATION, kinds.TEXT_PAIR_CLASSIFICATION)


def majority_baseline(task: TaskDef, train: Sequence[Example], evaluation: Mapping[str, Sequence[Example]],
                      seed: int) -> dict[str, Any] | None:
    """{"label", "metrics": split -> report} for a classification task with labelled training examples, else None."""
    from harness.scoring import (
        score_predictions,  # the metrics load only when a run records a baseline
    )

    labels = [example.label for example in train if example.label is not None]
    if task.kind not in CLASSIFICATION or not labels:
        return None
    label = int(np.bincount(labels, minlength=task.num_labels).argmax())
    metrics = {split: score_predictions(task, task.metrics, [label] * len(examples), examples, seed=seed).to_dict()
               for split, examples in evaluation.items()}
    return {"label": task.label_names[label], "metrics": metrics}


def recorded_majority(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's majority-class baseline, prompted or fine-tuned ({} when it has none)."""
    return record.get("majority_class") or (record.get("prompting") or {}).get("majority_class") or {}
