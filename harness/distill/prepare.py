"""Distillation inside a fine-tuning run: the transfer examples, the teacher's outputs on every training
example, the training objective that reads them, and what the record keeps.

    distillation = Distillation.prepare(spec, task, data, store, data_dir=..., device=...)
    examples = distillation.training_examples(data.train)        # + the unlabelled transfer examples
    distillation.attach(features, examples)                        # each feature carries its teacher output
    distillation.bind(model, tokenizer)                            # --distill-hidden: hooks and projections
    train(..., objective=distillation.objective(task.kind, model.target_scale))
    distillation.unbind(model)                                     # before the student is saved
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig

from harness.distill.hidden import HiddenMatch, LayerOutputs, resolve_pairs, task_model
from harness.distill.loss import distillation_loss
from harness.distill.teacher import (
    Teacher,
    TeacherOutputs,
    find_teacher,
    teacher_outputs,
)
from harness.distill.unlabeled import unlabeled_examples
from harness.encode import Features
from harness.errors import HarnessError
from harness.models.load import load_tokenizer
from harness.models.sources import ModelSource
from harness.record.saved_model import SavedRun, open_saved_run
from harness.record.store import ResultStore
from harness.spec import RunSpec
from harness.tasks import Example, TaskData, TaskDef


@dataclass
class Distillation:
    settings: dict[str, Any]  # the spec's distill entry
    teacher: Teacher
    unlabeled: list[Example]
    outputs: TeacherOutputs
    hidden_teacher: SavedRun | None = None  # --distill-hidden: the teacher's model, run beside the student
    match: HiddenMatch | None = None
    hooks: tuple[LayerOutputs, LayerOutputs] | None = None

    @classmethod
    def prepare(cls, spec: RunSpec, task: TaskDef, data: TaskData, store: ResultStore, *, data_dir: Path | None,
                device: str | None, source: ModelSource) -> Distillation:
        settings = spec.distill
        teacher = find_teacher(store, settings["teacher"], task, data_dir)
        hidden_teacher = None
        if "hidden" in settings:
            hidden_teacher = open_saved_run(store, teacher.record, task, data_dir=data_dir, device=device, missing="")
            for parameter in hidden_teacher.model.parameters():
                parameter.requires_grad_(False)
        _check_student(spec, source, hidden_teacher)  # before the teacher labels anything: a refusal costs nothing
        unlabeled = [] if "unlabeled" not in settings else unlabeled_examples(
            settings["unlabeled"], task, data, data_dir, limit=settings.get("unlabeled_limit"), seed=spec.shared_seed)
        outputs = teacher_outputs(teacher, store, task, [*data.train, *unlabeled], data_dir=data_dir, device=device)
        return cls(settings, teacher, unlabeled, outputs, hidden_teacher)

    def training_examples(self, labelled: Sequence[Example]) -> list[Example]:
        return [*labelled, *self.unlabeled]

    def attach(self, features: Sequence[Features], examples: Sequence[Example]) -> None:
        for feature, example in zip(features, examples):
            feature.teacher = self.outputs.outputs[example.id]

    def bind(self, student: torch.nn.Module, tokenizer) -> None:
        """--distill-hidden: check the tokenizers agree, resolve the layer pairs, put the projections on the
        student's task model (so the optimiser trains them) and hook both models' layers."""
        if self.hidden_teacher is None:
            return
        if tokenizer.get_vocab() != self.hidden_teacher.tokenizer.get_vocab():
            raise HarnessError(f"--distill-hidden: teacher {self.teacher.run_id} reads other tokens than the student "
                               "(their tokenizers differ), so their hidden states do not line up; drop "
                               "--distill-hidden (the output distillation works across tokenizers)")
        teacher_model = self.hidden_teacher.model
        student_count = LayerOutputs(student, []).count
        teacher_count = LayerOutputs(teacher_model, []).count
        pairs = resolve_pairs(self.settings["hidden"], student_count, teacher_count)
        self.match = HiddenMatch(student, teacher_model, pairs)
        task_model(student).distill_projections = self.match.projections
        self.hooks = (LayerOutputs(student, [s for s, _ in pairs]), LayerOutputs(teacher_model, [t for _, t in pairs]))

    def unbind(self, student: torch.nn.Module) -> None:
        """Remove the hooks and the projections: the saved student is the plain model."""
        if self.hooks is not None:
            for hooks in self.hooks:
                hooks.remove()
            del task_model(student).distill_projections
            self.hooks = None

    def objective(self, kind: str, scale: torch.Tensor) -> Callable[[torch.nn.Module, dict], torch.Tensor]:
        """The training step's loss: the student's outputs against gold labels and the teacher's (and, with
        --distill-hidden, its hidden states against the teacher's, weighted like the teacher's outputs)."""
        alpha, temperature = self.settings["alpha"], self.settings.get("temperature", 1.0)

        def loss(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
            inputs = dict(batch)
            teacher, mask, labels = inputs.pop("teacher"), inputs.pop("teacher_mask", None), inputs.pop("labels")
            student = model(**inputs).logits
            total = distillation_loss(student, labels, teacher, kind=kind, alpha=alpha, temperature=temperature,
                                      teacher_mask=mask, scale=scale)
            if self.match is not None:
                total = total + (1 - alpha) * self._hidden_loss(inputs)
            return total

        return loss

    def _hidden_loss(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        student_hooks, teacher_hooks = self.hooks
        device = self.hidden_teacher.device
        with torch.no_grad():
            self.hidden_teacher.model(**{k: v.to(device) for k, v in inputs.items()})
        teacher_states = {k: v.to(inputs["attention_mask"].device) for k, v in teacher_hooks.states.items()}
        value = self.match.loss(student_hooks.states, teacher_states, inputs["attention_mask"])
        student_hooks.states.clear()
        teacher_hooks.states.clear()
        return value

    def facts(self) -> dict[str, Any]:
        """The record's `distill` section, less what needs the student's metrics (`with_retention`)."""
        outputs = self.outputs
        return {**self.settings, **self.teacher.facts(), "unlabeled_examples": len(self.unlabeled),
                "teacher_outputs": {"computed": outputs.computed, "cached": outputs.cached,
                                    "seconds": round(outputs.seconds, 3)}}


def _check_student(spec: RunSpec, source: ModelSource, hidden_teacher: SavedRun | None) -> None:
    """What the student model decides (its layer count, its tokenizer), checked from its config and tokenizer."""
    total = getattr(AutoConfig.from_pretrained(source.path), "num_hidden_layers", None)
    if spec.student_layers is not None and isinstance(total, int) and spec.student_layers > total:
        raise HarnessError(f"--student-layers {spec.student_layers}: the model has {total} layers; keep from 1 to "
                           f"{total}")
    if hidden_teacher is None:
        return
    if load_tokenizer(source.path).get_vocab() != hidden_teacher.tokenizer.get_vocab():
        raise HarnessError(f"--distill-hidden: teacher {spec.distill['teacher']} reads other tokens than the student "
                           "(their tokenizers differ), so their hidden states do not line up; drop "
                           "--distill-hidden (the output distillation works across tokenizers)")
    if isinstance(total, int):
        teacher_count = LayerOutputs(hidden_teacher.model, []).count
        resolve_pairs(spec.distill["hidden"], spec.student_layers or total, teacher_count)
