"""--distill-hidden: the student's hidden states after chosen layers pulled towards the teacher's (squared error over
real tokens), through a learnt projection where their widths differ.

Pairs read `S:T,...` (1-based: the output of the student's layer S against the teacher's layer T) or `auto`
(each student layer i of N against the teacher's layer i x M / N, as TinyBERT's uniform mapping). Both models
read the same token ids, so the teacher must share the student's tokenizer; it runs alongside the student
(hidden states are too large to cache) with its weights frozen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch
from torch import nn

from harness.errors import HarnessError
from harness.models.layers import layer_stack

PAIRS = re.compile(r"^\s*\d+\s*:\s*\d+\s*(,\s*\d+\s*:\s*\d+\s*)*$")


def check_pairs_text(text: str) -> str:
    """`auto` or `S:T,...` as given, normalised (`1:2,2:4`); HarnessError on anything else."""
    if text.strip() == "auto":
        return "auto"
    if not PAIRS.match(text):
        raise HarnessError(f"--distill-hidden {text}: expected auto or pairs STUDENT_LAYER:TEACHER_LAYER such as "
                           "1:2,2:4,3:6 (1-based layer numbers)")
    pairs = [tuple(int(n) for n in part.split(":")) for part in text.split(",")]
    if any(s < 1 or t < 1 for s, t in pairs):
        raise HarnessError(f"--distill-hidden {text}: layer numbers start at 1 (the output of the first layer)")
    if len({s for s, _ in pairs}) != len(pairs):
        raise HarnessError(f"--distill-hidden {text}: a student layer is named twice; pair each with one teacher layer")
    return ",".join(f"{s}:{t}" for s, t in pairs)


def resolve_pairs(text: str, student_layers: int, teacher_layers: int) -> list[tuple[int, int]]:
    """The pairs as 0-based (student, teacher) indices, checked against both models' layer counts."""
    if text == "auto":
        return [(i - 1, (i * teacher_layers) // student_layers - 1) for i in range(1, student_layers + 1)]
    pairs = [tuple(int(n) for n in part.split(":")) for part in text.split(",")]
    for student, teacher in pairs:
        if student > student_layers or teacher > teacher_layers:
            raise HarnessError(f"--distill-hidden {text}: the student has {student_layers} layers and the teacher "
                               f"{teacher_layers}; name layers that exist (1:{teacher_layers} at most on the teacher)")
    return [(s - 1, t - 1) for s, t in pairs]


def task_model(model: nn.Module) -> nn.Module:
    """The harness TaskModel inside `model` (itself, or under a peft wrapper)."""
    for module in model.modules():
        if hasattr(module, "backbone") and hasattr(module, "head"):
            return module
    raise HarnessError("--distill-hidden: cannot find the task model's backbone; drop --distill-hidden")


class LayerOutputs:
    """Forward hooks that keep the hidden states leaving chosen layers of a model, for one forward at a time."""

    def __init__(self, model: nn.Module, indices: Sequence[int]) -> None:
        self.states: dict[int, torch.Tensor] = {}
        stack = layer_stack(task_model(model).backbone)[2]
        self.count = len(stack)
        self.handles = [stack[i].register_forward_hook(self._keeper(i)) for i in indices if i < len(stack)]

    def _keeper(self, index: int):
        def keep(_module, _inputs, output):
            self.states[index] = output[0] if isinstance(output, tuple) else output
        return keep

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


class HiddenMatch(nn.Module):
    """The projections (trained with the student) and the hidden-state loss of one batch."""

    def __init__(self, student: nn.Module, teacher: nn.Module, pairs: list[tuple[int, int]]) -> None:
        super().__init__()
        self.pairs = pairs
        student_width = task_model(student).config.hidden_size
        teacher_width = task_model(teacher).config.hidden_size
        self.projections = nn.ModuleList(
            nn.Identity() if student_width == teacher_width else nn.Linear(student_width, teacher_width)
            for _ in pairs)
        self.virtual_tokens = getattr(task_model(student), "virtual_tokens", 0)

    def loss(self, student_states: dict[int, torch.Tensor], teacher_states: dict[int, torch.Tensor],
             attention_mask: torch.Tensor) -> torch.Tensor:
        mask = attention_mask.unsqueeze(-1).float()
        total = 0.0
        for projection, (s, t) in zip(self.projections, self.pairs):
            student = projection(student_states[s][:, self.virtual_tokens:].float())
            error = ((student - teacher_states[t].float()) ** 2 * mask).sum()
            total = total + error / (mask.sum() * student.shape[-1]).clamp(min=1.0)
        return total / len(self.pairs)
