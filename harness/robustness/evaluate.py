"""Run a model over perturbed copies of a split and summarise against its clean predictions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from harness.robustness.report import robustness_report
from harness.robustness.perturbed import perturbed_splits
from harness.scoring import score_predictions
from harness.tasks import Example, TaskDef, kinds


def evaluate_robustness(task: TaskDef, perturb: str, seed: int, examples: Sequence[Example], clean_values: list,
                        train: Sequence[Example], predict: Callable[[list[Example]], list], *,
                        seen: Sequence[str] = (), split: str = "") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`predict(examples) -> one prediction per example`; the report of robustness_report, per perturbation,
    and one row per perturbed example (split, perturbation, id, prediction; NER: its own reference tags).
    `seen`: the perturbations the model trained on (augmentation), reported apart from the held-out ones."""
    variants = perturbed_splits(perturb, task, examples, train, seed)
    predicted = {name: (perturbed, predict(perturbed)) for name, (_, perturbed) in variants.items()}

    def score(values, scored_examples):
        return score_predictions(task, task.metrics, values, scored_examples, n_boot=0).values

    report = robustness_report(task.kind, (examples, clean_values), predicted, score,
                               severities={name: severity for name, (severity, _) in variants.items()},
                               labels=task.labels, seen=seen)
    rows = [_row(task, split, name, example, value)
            for name, (perturbed, values) in predicted.items() for example, value in zip(perturbed, values)]
    return {"perturb": perturb, "seed": seed, **report}, rows


def _row(task: TaskDef, split: str, name: str, example: Example, value: Any) -> dict[str, Any]:
    row = {"split": split, "perturbation": name, "id": example.id}
    if task.kind == kinds.TOKEN_CLASSIFICATION:  # words may have been added or removed: the tags come along
        return {**row, "prediction": [task.labels[t] for t in value],
                "reference": [task.labels[t] for t in example.tags]}
    return {**row, "prediction": value}
