"""Arithmetic on weights: members' changes to a shared base combined into one change (pure tensor functions).

    deltas = [task_vector(state, base) for state in members]   # what fine-tuning changed, per member
    change = MERGES["ties"](deltas, weights, density=0.2, generator=g)
    merged = {name: base[name] + scale * change[name] for name in base}

    linear  sum of weighted changes (a model soup when the weights sum to one: the average of the members)
    ties    TIES-merging (Yadav et al. 2023): keep each change's largest `density` share of entries, elect a
            sign per entry by the weighted sum, average only the entries that agree with it
    dare    DARE (Yu et al. 2024): drop each entry with probability 1 - density, rescale the rest by
            1 / density, then sum as `linear` does
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch

State = Mapping[str, torch.Tensor]


def task_vector(state: State, base: State) -> dict[str, torch.Tensor]:
    """The member's change to every tensor of the base (float32)."""
    return {name: state[name].float() - tensor.float() for name, tensor in base.items()}


def linear(deltas: Sequence[State], weights: Sequence[float], **_: object) -> dict[str, torch.Tensor]:
    return {name: sum(w * delta[name] for w, delta in zip(weights, deltas)) for name in deltas[0]}


def _trim(tensor: torch.Tensor, density: float) -> torch.Tensor:
    """The tensor with all but its largest-magnitude `density` share of entries set to zero."""
    keep = max(1, round(density * tensor.numel()))
    if keep >= tensor.numel():
        return tensor.clone()
    threshold = tensor.abs().flatten().kthvalue(tensor.numel() - keep + 1).values
    return torch.where(tensor.abs() >= threshold, tensor, torch.zeros_like(tensor))


def ties(deltas: Sequence[State], weights: Sequence[float], *, density: float, **_: object) -> dict[str, torch.Tensor]:
    merged = {}
    for name in deltas[0]:
        trimmed = torch.stack([w * _trim(delta[name], density) for w, delta in zip(weights, deltas)])
        sign = torch.sign(trimmed.sum(dim=0))
        agrees = (torch.sign(trimmed) == sign) & (trimmed != 0)
        weight = torch.tensor(list(weights), dtype=trimmed.dtype).view(-1, *[1] * (trimmed.dim() - 1))
        total = (agrees * weight).sum(dim=0)
        merged[name] = torch.where(total > 0, (trimmed * agrees).sum(dim=0) / total.clamp_min(1e-12),
                                   torch.zeros_like(sign))
    return merged


def dare(deltas: Sequence[State], weights: Sequence[float], *, density: float, generator: torch.Generator,
         **_: object) -> dict[str, torch.Tensor]:
    dropped = []
    for delta in deltas:
        kept = {}
        for name, tensor in delta.items():
            mask = torch.rand(tensor.shape, generator=generator) < density
            kept[name] = torch.where(mask, tensor / density, torch.zeros_like(tensor))
        dropped.append(kept)
    return linear(dropped, weights)


Merge = Callable[..., dict[str, torch.Tensor]]
MERGES: dict[str, Merge] = {"linear": linear, "ties": ties, "dare": dare}
