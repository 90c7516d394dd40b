"""One evaluation of a task's reported splits: metrics with intervals, per-example rows, speed, robustness.

    evaluated = evaluate_splits(task, data.evaluation, predictor, seed=spec.seed, perturb="all", train=data.train)
    evaluated.metrics["validation"]["values"]["accuracy"], evaluated.rows, evaluated.robustness

Every place that scores a model on evaluation splits comes through here: `harness run`
(fine-tuned and prompted), `harness verify --eval-only`, `harness robustness` over recorded
runs and the profiler's metric per variant. What differs between them is only the
predictor: `predictor(examples, split, perturbed)` returns a `SplitOutput` for a reported split,
or for a perturbed copy of one (perturbed=True: no progress is shown, only its values are kept).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.attack import evaluate_attacks
from harness.robustness import evaluate_robustness
from harness.scoring import score_predictions
from harness.tasks import Example, TaskDef


class SplitOutput(Protocol):
    """A model's predictions on one split, as a predictor hands them over."""

    values: list  # one prediction per example: class id, score, or tag ids per word

    def rows(self, task: TaskDef, split: str, examples: Sequence[Example]) -> list[dict[str, Any]]:
        """What the predictions file keeps per example."""

    def summary(self) -> dict[str, Any]:
        """What the record keeps about this split's inference (speed, ...)."""


Predictor = Callable[[Sequence[Example], str, bool], SplitOutput]


@dataclass
class Evaluated:
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # split -> MetricReport.to_dict()
    rows: list[dict[str, Any]] = field(default_factory=list)  # every split's prediction rows, in order
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)  # split -> SplitOutput.summary()
    robustness: dict[str, dict[str, Any]] = field(default_factory=dict)  # split -> report; empty without perturb
    perturbed_rows: list[dict[str, Any]] = field(default_factory=list)  # per example of every perturbed copy
    attacks: dict[str, dict[str, Any]] = field(default_factory=dict)  # split -> attack report; empty without attack
    attacked_rows: list[dict[str, Any]] = field(default_factory=list)  # per example and attack


def evaluate_splits(task: TaskDef, splits: Mapping[str, Sequence[Example]], predictor: Predictor, *, seed: int,
                    metrics: Sequence[str] | None = None, n_boot: int | None = None, perturb: str | None = None,
                    train: Sequence[Example] = (), selection: tuple[str, Sequence[Example]] | None = None,
                    seen: Sequence[str] = (), attack: dict[str, Any] | None = None) -> Evaluated:
    """Predict and score every split (the task's metrics unless `metrics`); with `perturb`, also the
    perturbed copies of each (`train` feeds perturbations that draw from it, such as entity swaps).
    `selection` (name, examples): also keep the model's outputs on the selection split as rows, unscored
    (an ensemble fits its weights on them, never on a reported split). `seen`: the perturbations the model
    was trained on (augmentation), whose worst case the robustness report keeps apart. `attack`: the spec's
    attack entry (harness.attack): each split is also attacked, example by example."""
    names = list(task.metrics if metrics is None else metrics)
    bootstrap = {} if n_boot is None else {"n_boot": n_boot}
    evaluated = Evaluated()
    for split, examples in splits.items():
        output = predictor(examples, split, False)
        if perturb:
            evaluated.robustness[split], rows = evaluate_robustness(
                task, perturb, seed, examples, output.values, train,
                lambda perturbed, split=split: predictor(perturbed, split, True).values, seen=seen, split=split)
            evaluated.perturbed_rows.extend(rows)
        if attack:
            evaluated.attacks[split], rows = evaluate_attacks(
                task, attack, seed, examples, output,
                lambda attacked, split=split: predictor(attacked, split, True), split=split)
            evaluated.attacked_rows.extend(rows)
        evaluated.metrics[split] = score_predictions(task, names, output.values, examples, seed=seed,
                                                     **bootstrap).to_dict()
        evaluated.summaries[split] = output.summary()
        evaluated.rows.extend(output.rows(task, split, examples))
    if selection is not None:
        name, examples = selection
        evaluated.rows.extend(predictor(examples, name, True).rows(task, name, examples))
    return evaluated
