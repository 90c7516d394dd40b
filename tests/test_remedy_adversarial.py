"""Adversarial training steps on a tiny linear model: FGM, PGD and FreeLB against hand computations."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from harness.errors import HarnessError
from harness.remedy.adversarial import Adversary, project, token_mask, unit_direction
from harness.remedy.embeddings import EmbeddingNoise


class TinyLinear(nn.Module):
    """Embeddings -> masked mean -> linear -> cross-entropy: no dropout, so every pass is deterministic."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(12, 4)
        self.linear = nn.Linear(4, 2)

    def get_input_embeddings(self) -> nn.Module:
        return self.embed

    def loss_at(self, embedded: torch.Tensor, batch: dict) -> torch.Tensor:
        mask = batch["attention_mask"].float().unsqueeze(-1)
        pooled = (embedded * mask).sum(1) / mask.sum(1)
        return nn.functional.cross_entropy(self.linear(pooled), batch["labels"])

    def forward(self, input_ids, attention_mask, labels):
        return self.loss_at(self.embed(input_ids), {"attention_mask": attention_mask, "labels": labels})


BATCH = {"input_ids": torch.tensor([[1, 2, 3, 0], [4, 5, 6, 7]]),
         "attention_mask": torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]]), "labels": torch.tensor([0, 1])}


def _step(kind: str, seed: int = 0, **settings) -> tuple[TinyLinear, Adversary, torch.Tensor]:
    model = TinyLinear()
    torch.manual_seed(seed)  # FreeLB's random start is drawn from here
    adversary = Adversary(kind, **settings).attach(model)
    loss = adversary.step(lambda: model(**BATCH), BATCH, lambda value: value.backward())
    return model, adversary, loss


def _grads(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.grad.clone() for name, p in model.named_parameters()}


def _hand_grads(model: TinyLinear, delta: torch.Tensor, scale: float = 1.0) -> tuple[dict, torch.Tensor]:
    """Weight gradients of scale * loss(embeddings + delta), and the loss's gradient with respect to delta."""
    twin = copy.deepcopy(model)
    twin.zero_grad()
    delta = delta.clone().requires_grad_(True)
    (twin.loss_at(twin.embed(BATCH["input_ids"]) + delta, BATCH) * scale).backward()
    return _grads(twin), delta.grad


def _per_example_norms(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.flatten(1).norm(dim=1)


def test_fgm_perturbation_has_norm_epsilon_and_points_along_the_gradient():
    model, adversary, loss = _step("fgm", epsilon=0.5)
    push = adversary.noise.delta  # the last perturbation added: the adversarial one
    pristine = TinyLinear()
    clean_grads, gradient = _hand_grads(pristine, torch.zeros(2, 4, 4))
    assert torch.allclose(_per_example_norms(push), torch.tensor([0.5, 0.5]), atol=1e-6)
    assert torch.all(push[0, 3] == 0)  # padding is never perturbed
    for i in range(2):
        cosine = nn.functional.cosine_similarity(push[i].flatten(), gradient[i].flatten(), dim=0)
        assert cosine == pytest.approx(1.0, abs=1e-5)
    # the update is the clean gradient plus the gradient at the perturbed embeddings
    adversarial_grads, _ = _hand_grads(pristine, push.detach())
    for name, value in _grads(model).items():
        assert torch.allclose(value, clean_grads[name] + adversarial_grads[name], atol=1e-6), name
    assert float(loss) == pytest.approx(float(pristine(**BATCH).detach()), abs=1e-6)  # reports the clean loss


def test_pgd_stays_inside_its_ball_and_trains_on_clean_and_last_perturbation():
    model, adversary, _ = _step("pgd", epsilon=0.3, steps=5, alpha=0.2)
    last = adversary.noise.delta.detach()
    assert torch.all(_per_example_norms(last) <= 0.3 + 1e-6)
    assert torch.allclose(_per_example_norms(last), torch.tensor([0.3, 0.3]), atol=1e-5)  # steps reach the edge
    pristine = TinyLinear()
    clean_grads, _ = _hand_grads(pristine, torch.zeros(2, 4, 4))
    last_grads, _ = _hand_grads(pristine, last)
    for name, value in _grads(model).items():
        assert torch.allclose(value, clean_grads[name] + last_grads[name], atol=1e-6), name


def test_freelb_accumulates_the_mean_gradient_over_its_ascent():
    steps, epsilon, alpha = 3, 0.4, 0.25
    model, _, loss = _step("freelb", seed=7, epsilon=epsilon, steps=steps, alpha=alpha)
    # by hand: the same random start (drawn from torch's RNG as the first thing after seeding), then ascent
    pristine = TinyLinear()
    torch.manual_seed(7)
    mask = BATCH["attention_mask"].float().unsqueeze(-1)
    draw = (torch.rand(2, 4, 4) * 2 - 1) * mask
    delta = draw / draw.flatten(1).norm(dim=1).view(-1, 1, 1) * alpha
    delta = delta * torch.clamp(epsilon / delta.flatten(1).norm(dim=1), max=1.0).view(-1, 1, 1)
    expected = {name: torch.zeros_like(p) for name, p in pristine.named_parameters()}
    losses = []
    for _ in range(steps):
        grads, gradient = _hand_grads(pristine, delta, scale=1 / steps)
        losses.append(float(pristine.loss_at(pristine.embed(BATCH["input_ids"]) + delta, BATCH).detach()) / steps)
        for name in expected:
            expected[name] += grads[name]
        direction = gradient * mask
        delta = delta + alpha * direction / direction.flatten(1).norm(dim=1).view(-1, 1, 1)
        delta = delta * torch.clamp(epsilon / delta.flatten(1).norm(dim=1), max=1.0).view(-1, 1, 1)
    for name, value in _grads(model).items():
        assert torch.allclose(value, expected[name], atol=1e-6), name
    assert float(loss) == pytest.approx(sum(losses), abs=1e-6)


def test_helpers_mask_normalise_and_project():
    delta = torch.ones(2, 4, 4)
    mask = token_mask(BATCH, delta)
    unit = unit_direction(delta, mask)
    assert torch.allclose(_per_example_norms(unit), torch.ones(2))
    assert torch.all(unit[0, 3] == 0)
    assert torch.allclose(_per_example_norms(project(delta * 10, 2.0)), torch.tensor([2.0, 2.0]))
    small = delta * 0.01
    assert torch.equal(project(small, 2.0), small)  # inside the ball: unchanged
    assert torch.equal(unit_direction(torch.zeros(2, 4, 4), mask), torch.zeros(2, 4, 4))


def test_noise_is_off_outside_a_step_and_removable():
    model = TinyLinear()
    before = float(model(**BATCH).detach())
    adversary = Adversary("fgm", epsilon=5.0).attach(model)
    adversary.step(lambda: model(**BATCH), BATCH, lambda value: value.backward())
    assert float(model(**BATCH).detach()) == pytest.approx(before)  # disarmed after the step: evaluation sees clean input
    adversary.detach()
    assert not model.embed._forward_hooks


def test_a_model_without_input_embeddings_is_refused_in_one_line():
    with pytest.raises(HarnessError, match="gives no input embedding module"):
        EmbeddingNoise(nn.Linear(2, 2))


def test_embeddings_that_never_run_are_refused():
    model = TinyLinear()
    adversary = Adversary("fgm", epsilon=1.0).attach(model)
    pooled_only = nn.Linear(4, 2)
    with pytest.raises(HarnessError, match="did not run in the forward pass"):
        adversary.step(lambda: pooled_only(torch.ones(2, 4)).sum(), BATCH, lambda value: value.backward())
