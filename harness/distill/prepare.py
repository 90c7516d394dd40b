"""Distillation inside a fine-tuning run: the transfer examples, the teacher's outputs on every training
example, the training objective that reads them, and what the record keeps.

    distillation = Distillation.prepare(spec, task, data, store, data_dir=..., device=...)
    examples = distillation.training_examples(data.train)        # + the unlabelled transfer examples
    distillation.attach(features, examples)                        # each feature carries its teacher output
    train(..., objective=distillation.objective(task.kind, model.target_scale))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from harness.distill.loss import distillation_loss
from harness.distill.teacher import Teacher, TeacherOutputs, find_teacher, teacher_outputs
from harness.distill.unlabeled import unlabeled_examples
from harness.encode import Features
from harness.record.store import ResultStore
from harness.spec import RunSpec
from harness.tasks import Example, TaskData, TaskDef


@dataclass
class Distillation:
    settings: dict[str, Any]  # the spec's distill entry
    teacher: Teacher
    unlabeled: list[Example]
    outputs: TeacherOutputs

    @classmethod
    def prepare(cls, spec: RunSpec, task: TaskDef, data: TaskData, store: ResultStore, *, data_dir: Path | None,
                device: str | None) -> Distillation:
        settings = spec.distill
        teacher = find_teacher(store, settings["teacher"], task, data_dir)
        unlabeled = [] if "unlabeled" not in settings else unlabeled_examples(
            settings["unlabeled"], task, data, data_dir, limit=settings.get("unlabeled_limit"), seed=spec.shared_seed)
        outputs = teacher_outputs(teacher, store, task, [*data.train, *unlabeled], data_dir=data_dir, device=device)
        return cls(settings, teacher, unlabeled, outputs)

    def training_examples(self, labelled: Sequence[Example]) -> list[Example]:
        return [*labelled, *self.unlabeled]

    def attach(self, features: Sequence[Features], examples: Sequence[Example]) -> None:
        for feature, example in zip(features, examples):
            feature.teacher = self.outputs.outputs[example.id]

    def objective(self, kind: str, scale: torch.Tensor) -> Callable[[torch.nn.Module, dict], torch.Tensor]:
        """The training step's loss: the student's outputs against gold labels and the teacher's."""
        alpha, temperature = self.settings["alpha"], self.settings.get("temperature", 1.0)

        def loss(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
            inputs = dict(batch)
            teacher, mask, labels = inputs.pop("teacher"), inputs.pop("teacher_mask", None), inputs.pop("labels")
            student = model(**inputs).logits
            return distillation_loss(student, labels, teacher, kind=kind, alpha=alpha, temperature=temperature,
                                     teacher_mask=mask, scale=scale)

        return loss

    def facts(self) -> dict[str, Any]:
        """The record's `distill` section, less what needs the student's metrics (`with_retention`)."""
        outputs = self.outputs
        return {**self.settings, **self.teacher.facts(), "unlabeled_examples": len(self.unlabeled),
                "teacher_outputs": {"computed": outputs.computed, "cached": outputs.cached,
                                    "seconds": round(outputs.seconds, 3)}}
