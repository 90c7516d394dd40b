"""Run a model over perturbed copies of a split and summarise against its clean predictions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from harness.robustness.report import robustness_report
from harness.robustness.perturbed import perturbed_splits
from harness.scoring import score_predictions
from harness.tasks import Example, TaskDef


def evaluate_robustness(task: TaskDef, perturb: str, seed: int, examples: Sequence[Example], clean_values: list,
                        train: Sequence[Example], predict: Callable[[list[Example]], list]) -> dict[str, Any]:
    """`predict(examples) -> one prediction per example`; the report of robustness_report, per perturbation."""
    variants = perturbed_splits(perturb, task, examples, train, seed)
    predicted = {name: (perturbed, predict(perturbed)) for name, (_, perturbed) in variants.items()}

    def score(values, scored_examples):
        return score_predictions(task, task.metrics, values, scored_examples, n_boot=0).values

    report = robustness_report(task.kind, (examples, clean_values), predicted, score,
                               severities={name: severity for name, (severity, _) in variants.items()},
                               labels=task.labels)
    return {"perturb": perturb, "seed": seed, **report}
