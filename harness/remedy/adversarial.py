"""Adversarial training on the input embeddings: FGM, PGD and FreeLB, as one training step each.

Each step perturbs the token embeddings of the batch in the direction that raises the loss
and trains on the perturbed batch. Norms are per example, over all its tokens' embeddings,
with padding left untouched; directions are the loss gradient's, normalised per example.

- FGM (Miyato et al. 2017): the clean loss's gradient, then one perturbation of norm epsilon;
  the update is the sum of the clean and the perturbed gradients (2 forward-backward passes).
- PGD (Madry et al. 2018): from the clean gradient, `steps` ascent steps of norm alpha, each
  projected back into the epsilon ball; only the clean and the last perturbed losses train the
  weights (steps + 1 passes; the inner ones compute no weight gradient and are not synchronised).
- FreeLB (Zhu et al. 2020): from a random start of norm alpha, `steps` ascent steps; every
  step's gradient trains the weights, each weighted 1/steps, so the update is the mean
  gradient over the ascent (steps passes).

The loss a step reports is the clean loss (FGM, PGD) or the mean over the ascent (FreeLB).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from harness.remedy.embeddings import EmbeddingNoise

Backward = Callable[[torch.Tensor], None]


def token_mask(batch: dict[str, Any], delta: torch.Tensor) -> torch.Tensor:
    """batch x tokens: 1 where a token is real, 0 on padding (all ones when the batch has no matching mask)."""
    mask = batch.get("attention_mask")
    if not isinstance(mask, torch.Tensor) or tuple(mask.shape) != tuple(delta.shape[:2]):
        return torch.ones(delta.shape[:2], dtype=delta.dtype, device=delta.device)
    return mask.to(dtype=delta.dtype, device=delta.device)


def _per_example(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return values.view(-1, *([1] * (like.dim() - 1)))


def unit_direction(gradient: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The gradient with padding zeroed, scaled to norm 1 per example (an all-zero gradient stays zero)."""
    masked = gradient * mask.unsqueeze(-1)
    norms = masked.flatten(1).norm(dim=1).clamp_min(1e-12)
    return masked / _per_example(norms, masked)


def project(delta: torch.Tensor, epsilon: float) -> torch.Tensor:
    """`delta` scaled down, per example, to norm at most epsilon."""
    norms = delta.flatten(1).norm(dim=1)
    factor = (epsilon / norms.clamp_min(1e-12)).clamp(max=1.0)
    return delta * _per_example(factor, delta)


def random_start(like: torch.Tensor, mask: torch.Tensor, norm: float) -> torch.Tensor:
    """A uniformly drawn direction of norm `norm` per example (padding zero), from torch's seeded RNG."""
    draw = torch.rand(like.shape, dtype=torch.float32, device=like.device) * 2 - 1
    return unit_direction(draw.to(like.dtype), mask) * norm


def _tracked(delta: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """A perturbation whose gradient the backward pass fills in."""
    return lambda output: delta.detach().clone().requires_grad_(True)


def _zeros(output: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(output, requires_grad=True)


@dataclass
class Adversary:
    """One adversarial training step around a loss; `attach` hooks it into the model to train."""

    kind: str  # fgm | pgd | freelb
    epsilon: float
    steps: int = 1
    alpha: float = 0.0
    noise: EmbeddingNoise | None = None

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> Adversary:
        return cls(kind=entry["kind"], epsilon=entry["epsilon"], steps=entry.get("steps", 1),
                   alpha=entry.get("alpha", 0.0))

    def attach(self, model: nn.Module) -> Adversary:
        self.noise = EmbeddingNoise(model)
        return self

    def detach(self) -> None:
        if self.noise is not None:
            self.noise.remove()
            self.noise = None

    def step(self, loss_of: Callable[[], torch.Tensor], batch: dict[str, Any], backward: Backward,
             no_sync: Callable[[], AbstractContextManager] = nullcontext) -> torch.Tensor:
        """Forward and backward passes of one batch (`loss_of()` runs the model on it); the loss to report."""
        try:
            return getattr(self, f"_{self.kind}")(loss_of, batch, backward, no_sync)
        finally:
            self.noise.disarm()

    def _clean_pass(self, loss_of, batch, backward) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Forward and backward on the clean batch: its loss, the loss's gradient at the embeddings, the mask."""
        self.noise.arm(_zeros)
        clean = loss_of()
        backward(clean)
        zero = self.noise.fired()
        return clean.detach(), zero.grad, token_mask(batch, zero)

    def _fgm(self, loss_of, batch, backward, no_sync) -> torch.Tensor:
        clean, gradient, mask = self._clean_pass(loss_of, batch, backward)
        push = (self.epsilon * unit_direction(gradient, mask)).detach()
        self.noise.arm(lambda output: push)
        backward(loss_of())
        return clean

    def _pgd(self, loss_of, batch, backward, no_sync) -> torch.Tensor:
        noise = self.noise
        clean, gradient, mask = self._clean_pass(loss_of, batch, backward)
        delta = project(self.alpha * unit_direction(gradient, mask), self.epsilon).detach()
        for _ in range(self.steps - 1):  # ascent only: no weight gradient, no synchronisation
            with no_sync():
                noise.arm(_tracked(delta))
                (gradient,) = torch.autograd.grad(loss_of(), noise.fired())
            delta = project(delta + self.alpha * unit_direction(gradient, mask), self.epsilon).detach()
        noise.arm(lambda output: delta)
        backward(loss_of())
        return clean

    def _freelb(self, loss_of, batch, backward, no_sync) -> torch.Tensor:
        noise = self.noise
        delta: torch.Tensor | None = None
        total = torch.zeros(())
        for _ in range(self.steps):
            if delta is None:  # its shape is the embedding output's: drawn inside the first forward pass
                noise.arm(lambda output: project(random_start(output, token_mask(batch, output), self.alpha),
                                                 self.epsilon).requires_grad_(True))
            else:
                noise.arm(_tracked(delta))
            loss = loss_of() / self.steps
            backward(loss)
            current = noise.fired()
            mask = token_mask(batch, current)
            total = total.to(loss.device) + loss.detach()
            delta = project(current.detach() + self.alpha * unit_direction(current.grad, mask), self.epsilon)
        return total
