"""A prompted run over many prompt variants: every variant scored on each reported split, the base one returned.

    predictor = SpreadPredictor(PromptPredictor(...), variants)
    output = predictor(examples, "validation")    # the base variant's predictions (the run's headline)
    predictor.spread_section(task)                # the record's `prompt_spread` section
    predictor.rows()                              # per variant and split: the predictions (regress pairs them)

Variants that render the same contexts (they differ only in their answer words) are scored
together, each context once for all their answers. Perturbed copies and attacks see the base
variant only: a spread is a property of the clean score.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from harness.metrics import get_metric
from harness.prompt_spread.summary import by_group, spread_stats
from harness.prompt_spread.variants import Variant
from harness.prompting.predictor import PromptedSplit, PromptPredictor, score_shared
from harness.scoring import score_predictions
from harness.tasks import Example, TaskDef


class SpreadPredictor:
    def __init__(self, base: PromptPredictor, variants: list[Variant], entry: dict[str, Any]) -> None:
        self.base, self.variants, self.entry = base, variants, entry
        self.priors = {v.name: (base.prior if i == 0 else base.prior_for(v.prompt, v.demos))
                       for i, v in enumerate(variants)}
        self.scores: dict[str, dict[str, dict[str, float]]] = {}  # split -> variant -> metric -> value
        self.predicted: dict[str, dict[str, list[int]]] = {}  # split -> variant -> predictions
        self.ids: dict[str, list[Any]] = {}
        self.seconds: dict[str, float] = {}
        self.examples: dict[str, int] = {}

    def __call__(self, examples: Sequence[Example], split: str, perturbed: bool = False) -> PromptedSplit:
        if perturbed:
            return self.base(examples, split, True)
        base, outputs = self.base, {}
        started = time.perf_counter()
        groups: dict[tuple, list[Variant]] = {}
        for variant in self.variants:
            groups.setdefault(variant.context_key, []).append(variant)
        for group in groups.values():
            label = split if group[0] is self.variants[0] else f"{split} · {group[0].name}"
            scored = score_shared(base.loaded, [v.prompt for v in group], base.task, list(examples), group[0].demos,
                                  progress=base.progress, split=label, fit=base.options.get("fit_context", False))
            for variant, scores in zip(group, scored):
                outputs[variant.name] = base.predictions(examples, scores, variant.prompt, self.priors[variant.name])
        self.seconds[split] = time.perf_counter() - started
        self.examples[split] = len(examples)
        self.ids[split] = [example.id for example in examples]
        self.predicted[split] = {name: output.values for name, output in outputs.items()}
        self.scores[split] = {name: score_predictions(base.task, base.task.metrics, output.values, examples,
                                                      n_boot=0).values for name, output in outputs.items()}
        return outputs[self.variants[0].name]

    def section(self, summaries, evaluation) -> dict[str, Any]:
        """The record's `prompting` section: the base variant's, as a single-prompt run writes it."""
        return self.base.section(summaries, evaluation)

    def spread_section(self, task: TaskDef) -> dict[str, Any]:
        """The record's `prompt_spread` section: settings, variants, every variant's scores and their spread."""
        splits = {}
        for split, scores in self.scores.items():
            splits[split] = {}
            for metric in task.metrics:
                values = {name: metrics.get(metric) for name, metrics in scores.items()}
                better = get_metric(metric).higher_is_better
                splits[split][metric] = {**spread_stats(values, better),
                                         "by_prompt": by_group(values, lambda name: name.split("/")[0], better)}
        scored = sum(self.examples[s] for s in self.examples) * len(self.variants)
        seconds = sum(self.seconds.values())
        return {
            "settings": self.entry,
            "variants": [v.describe() for v in self.variants],
            "scores": self.scores,
            "splits": splits,
            "seconds": round(seconds, 3),
            "examples_scored": scored,
            "examples_per_second": round(scored / seconds, 2) if seconds else None,
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per split and variant: its prompt hash and its prediction for every example, by id."""
        return [{"split": split, "variant": v.name, "prompt_hash": v.hash, "ids": self.ids[split],
                 "predictions": predicted[v.name]}
                for split, predicted in self.predicted.items() for v in self.variants]
