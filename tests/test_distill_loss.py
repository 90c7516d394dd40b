"""harness.distill.loss.distillation_loss against the same loss written out by hand (plain Python arithmetic)."""

from __future__ import annotations

import math

import pytest
import torch

from harness.distill.loss import distillation_loss
from harness.encode import IGNORE
from harness.tasks import kinds

STUDENT = [[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-1.5, 3.0, 0.0], [1.0, 1.0, -2.0]]
TEACHER_LOGITS = [[1.0, 0.0, -1.0], [0.3, -0.2, 0.9], [0.0, 2.5, 0.5], [-0.5, 1.5, 0.2]]
LABELS = [0, 2, 1, 1]


def _log_softmax(row: list[float], temperature: float = 1.0) -> list[float]:
    scaled = [v / temperature for v in row]
    top = max(scaled)
    log_total = top + math.log(sum(math.exp(v - top) for v in scaled))
    return [v - log_total for v in scaled]


def _cross_entropy(row: list[float], label: int) -> float:
    return -_log_softmax(row)[label]


def _kl(teacher_log_probs: list[float], student_logits: list[float], temperature: float) -> float:
    """KL(teacher softened || student softened): the teacher is given as log-probabilities, softened by
    dividing them by T and normalising again, exactly as logits would be."""
    p = [math.exp(v) for v in _log_softmax(teacher_log_probs, temperature)]
    log_p = _log_softmax(teacher_log_probs, temperature)
    log_q = _log_softmax(student_logits, temperature)
    return sum(pi * (lp - lq) for pi, lp, lq in zip(p, log_p, log_q))


def _by_hand(student, teacher_log_probs, labels, alpha, temperature, rows=None) -> float:
    """alpha x mean CE over labelled rows + (1 - alpha) x T^2 x mean KL over the rows with a teacher."""
    rows = range(len(student)) if rows is None else rows
    labelled = [i for i, y in enumerate(labels) if y != IGNORE]
    hard = sum(_cross_entropy(student[i], labels[i]) for i in labelled) / len(labelled) if labelled else 0.0
    soft = sum(_kl(teacher_log_probs[i], student[i], temperature) for i in rows) / len(rows)
    return alpha * hard + (1 - alpha) * temperature ** 2 * soft


def _teacher_log_probs() -> list[list[float]]:
    return [_log_softmax(row) for row in TEACHER_LOGITS]


def _loss(student, labels, teacher, **kwargs) -> torch.Tensor:
    return distillation_loss(torch.tensor(student), torch.tensor(labels), torch.tensor(teacher), **kwargs)


@pytest.mark.parametrize("temperature", [1.0, 4.0])
@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_classification_loss_is_the_hand_computation(alpha, temperature):
    teacher = _teacher_log_probs()
    got = _loss(STUDENT, LABELS, teacher, kind=kinds.TEXT_CLASSIFICATION, alpha=alpha, temperature=temperature)
    assert got.item() == pytest.approx(_by_hand(STUDENT, teacher, LABELS, alpha, temperature), rel=1e-5, abs=1e-6)


def test_the_soft_term_is_scaled_by_t_squared():
    teacher = _teacher_log_probs()
    soft_at_4 = _loss(STUDENT, LABELS, teacher, kind=kinds.TEXT_CLASSIFICATION, alpha=0.0, temperature=4.0).item()
    kl_at_4 = sum(_kl(teacher[i], STUDENT[i], 4.0) for i in range(len(STUDENT))) / len(STUDENT)
    assert soft_at_4 == pytest.approx(16 * kl_at_4, rel=1e-5)
    assert soft_at_4 != pytest.approx(kl_at_4, rel=1e-2)  # the factor is really there


def test_a_student_that_matches_its_teacher_has_no_soft_loss():
    teacher = _teacher_log_probs()
    for temperature in (1.0, 4.0):
        same = _loss(teacher, LABELS, teacher, kind=kinds.TEXT_CLASSIFICATION, alpha=0.0, temperature=temperature)
        assert same.item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_unlabelled_rows_count_only_in_the_teacher_term(alpha):
    teacher = _teacher_log_probs()
    labels = [0, IGNORE, 1, IGNORE]
    got = _loss(STUDENT, labels, teacher, kind=kinds.TEXT_CLASSIFICATION, alpha=alpha, temperature=2.0)
    assert got.item() == pytest.approx(_by_hand(STUDENT, teacher, labels, alpha, 2.0), rel=1e-5, abs=1e-6)
    # the hard term is the mean over the two labelled rows only (not over four)
    hard = _loss(STUDENT, labels, teacher, kind=kinds.TEXT_CLASSIFICATION, alpha=1.0, temperature=2.0).item()
    assert hard == pytest.approx((_cross_entropy(STUDENT[0], 0) + _cross_entropy(STUDENT[2], 1)) / 2, rel=1e-5)


def test_a_batch_nobody_labelled_still_learns_from_the_teacher():
    teacher = _teacher_log_probs()
    labels = [IGNORE] * 4
    student = torch.tensor(STUDENT, requires_grad=True)
    only_gold = distillation_loss(student, torch.tensor(labels), torch.tensor(teacher),
                                  kind=kinds.TEXT_CLASSIFICATION, alpha=1.0, temperature=2.0)
    assert only_gold.item() == 0.0 and only_gold.requires_grad  # nothing labelled: 0, no NaN, still in the graph
    mixed = distillation_loss(student, torch.tensor(labels), torch.tensor(teacher),
                              kind=kinds.TEXT_CLASSIFICATION, alpha=0.5, temperature=2.0)
    assert mixed.item() == pytest.approx(_by_hand(STUDENT, teacher, labels, 0.5, 2.0), rel=1e-5)
    mixed.backward()
    assert torch.isfinite(student.grad).all() and student.grad.abs().sum() > 0


@pytest.mark.parametrize("temperature", [1.0, 4.0])
@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_ner_loss_is_per_word_with_the_teacher_mask(alpha, temperature):
    # batch 2, length 4, 3 tags: rows are positions; only first sub-tokens carry a label and a teacher output
    student = [STUDENT, [row[::-1] for row in STUDENT]]
    teacher = [_teacher_log_probs(), [[0.0, 0.0, 0.0]] * 4]  # zeros where the mask is off: must not count
    teacher[1][0] = _log_softmax([2.0, 0.0, 1.0])
    teacher[1][2] = _log_softmax([0.0, 0.0, 3.0])
    labels = [[0, IGNORE, 1, 2], [1, IGNORE, 0, IGNORE]]
    mask = [[True, False, True, True], [True, False, True, False]]
    got = distillation_loss(torch.tensor(student), torch.tensor(labels), torch.tensor(teacher),
                            kind=kinds.TOKEN_CLASSIFICATION, alpha=alpha, temperature=temperature,
                            teacher_mask=torch.tensor(mask))
    flat_student = [row for sentence in student for row in sentence]
    flat_teacher = [row for sentence in teacher for row in sentence]
    flat_labels = [y for sentence in labels for y in sentence]
    rows = [i for i, keep in enumerate(m for sentence in mask for m in sentence) if keep]
    expected = _by_hand(flat_student, flat_teacher, flat_labels, alpha, temperature, rows=rows)
    assert got.item() == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_ner_positions_outside_the_mask_do_not_change_the_loss():
    student = torch.tensor([STUDENT])
    teacher = torch.tensor([_teacher_log_probs()])
    labels = torch.tensor([[0, IGNORE, 1, IGNORE]])
    mask = torch.tensor([[True, False, True, False]])
    other = teacher.clone()
    other[0, 1] = torch.tensor([0.0, -50.0, -50.0])
    other[0, 3] = torch.tensor([-50.0, 0.0, -50.0])
    kwargs = {"kind": kinds.TOKEN_CLASSIFICATION, "alpha": 0.3, "temperature": 2.0, "teacher_mask": mask}
    assert distillation_loss(student, labels, teacher, **kwargs).item() == \
        pytest.approx(distillation_loss(student, labels, other, **kwargs).item(), rel=1e-6)


@pytest.mark.parametrize("scale", [1.0, 2.5])
@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_regression_loss_is_squared_error_to_gold_and_teacher_over_scale_squared(alpha, scale):
    outputs = [1.0, 2.5, -0.5, 4.0, 3.0]
    gold = [1.5, math.nan, 0.0, 3.0, math.nan]
    teacher = [0.5, 2.0, 0.0, 4.5, 2.0]
    got = distillation_loss(torch.tensor(outputs).reshape(-1, 1), torch.tensor(gold), torch.tensor(teacher),
                            kind=kinds.REGRESSION, alpha=alpha, temperature=1.0, scale=scale)
    labelled = [i for i, y in enumerate(gold) if not math.isnan(y)]
    hard = sum((outputs[i] - gold[i]) ** 2 for i in labelled) / len(labelled) / scale ** 2
    soft = sum((o - t) ** 2 for o, t in zip(outputs, teacher)) / len(outputs) / scale ** 2
    assert got.item() == pytest.approx(alpha * hard + (1 - alpha) * soft, rel=1e-5, abs=1e-6)


def test_regression_ignores_the_temperature_and_survives_no_gold():
    outputs = torch.tensor([[1.0], [2.0]], requires_grad=True)
    gold = torch.tensor([math.nan, math.nan])
    teacher = torch.tensor([0.0, 4.0])
    at_1 = distillation_loss(outputs, gold, teacher, kind=kinds.REGRESSION, alpha=0.5, temperature=1.0)
    at_4 = distillation_loss(outputs, gold, teacher, kind=kinds.REGRESSION, alpha=0.5, temperature=4.0)
    assert at_1.item() == at_4.item() == pytest.approx(0.5 * (1.0 + 4.0) / 2)
    at_1.backward()
    assert torch.isfinite(outputs.grad).all()
