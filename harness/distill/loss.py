"""The distillation loss: alpha x the gold labels' loss + (1 - alpha) x the teacher's.

Classification and NER (per word, on each word's first sub-token): the teacher's term is
T^2 x KL(teacher at temperature T || student at temperature T) (Hinton et al. 2015; T^2 keeps
its gradients on the scale of the hard term's as T grows). Regression: mean squared error to
the teacher's output. Examples no one labelled (transfer data) only count in the teacher's term.
"""

from __future__ import annotations

import torch
from torch.nn import functional

from harness.encode import IGNORE
from harness.tasks import kinds


def distillation_loss(student: torch.Tensor, labels: torch.Tensor, teacher: torch.Tensor, *, kind: str,
                      alpha: float, temperature: float, teacher_mask: torch.Tensor | None = None,
                      scale: float | torch.Tensor = 1.0) -> torch.Tensor:
    """`student`: logits (batch, classes), (batch, length, tags) for NER, (batch, 1) for regression.
    `teacher`: log-probabilities of the same shape (regression: outputs, (batch,)); `teacher_mask` (NER):
    the positions that carry a teacher output. `labels`: IGNORE (NaN for regression) where unlabelled.
    Regression errors are divided by `scale` (the training targets' spread), as the plain loss is."""
    if kind == kinds.REGRESSION:
        output = student.reshape(-1)
        gold = ~torch.isnan(labels)
        hard = _mean(((output - labels.nan_to_num()) / scale) ** 2, gold)
        soft = (((output - teacher.reshape(-1)) / scale) ** 2).mean()
        return alpha * hard + (1 - alpha) * soft
    classes = student.shape[-1]
    student, teacher, labels = student.reshape(-1, classes), teacher.reshape(-1, classes), labels.reshape(-1)
    labelled = labels != IGNORE
    hard = _mean(functional.cross_entropy(student, labels.clamp(min=0), reduction="none"), labelled)
    rows = teacher_mask.reshape(-1) if teacher_mask is not None else torch.ones_like(labelled)
    divergence = functional.kl_div(functional.log_softmax(student / temperature, dim=-1),
                                   functional.log_softmax(teacher / temperature, dim=-1),
                                   log_target=True, reduction="none").sum(dim=-1)
    soft = temperature ** 2 * _mean(divergence, rows)
    return alpha * hard + (1 - alpha) * soft


def _mean(values: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Mean of `values` where `keep`; 0 (still in the graph) where nothing is kept."""
    kept = keep.to(values.dtype)
    return (values * kept).sum() / kept.sum().clamp(min=1.0)
