"""Magnitude pruning: the smallest weights of every backbone linear layer set to zero, for good.

Per layer (L1 magnitude, `torch.nn.utils.prune.l1_unstructured`), so every layer loses
exactly the stated share and none is emptied, then made permanent with `prune.remove`
(no mask or copy left behind). The weights stay dense tensors: the dense kernels still
multiply the zeros, so expect no speed-up and no smaller file without sparse kernels or
sparse storage.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import prune

from harness.variants import model_parts
from harness.variants.base import VARIANTS, Variant


def prune_linears(model: nn.Module, share: float) -> nn.Module:
    """Zero the `share` of smallest-magnitude weights of each backbone nn.Linear (biases kept)."""
    for _, linear in model_parts.backbone_linears(model):
        prune.l1_unstructured(linear, name="weight", amount=share)
        prune.remove(linear, "weight")
    return model


def _variant(percent: int) -> Variant:
    def transform(model: nn.Module, device: torch.device) -> nn.Module:
        return prune_linears(model.to(dtype=torch.float32), percent / 100).to(device)

    return Variant(
        name=f"prune-{percent}",
        description=f"{percent}% of each backbone linear layer's weights zeroed by magnitude (permanent)",
        transform=transform,
        model_check=lambda model: None if model_parts.backbone_linears(model) else "its backbone has no nn.Linear layers",
        note=lambda device: ("dense kernels multiply the zeros too and the file stores them: expect no speed-up "
                             "(see its speed-up column) and no smaller file"),
    )


PRUNE_30 = VARIANTS.register(_variant(30))
PRUNE_50 = VARIANTS.register(_variant(50))
