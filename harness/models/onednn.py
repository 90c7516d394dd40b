"""Inference through oneDNN's matrix multiply on CPU, for scoring loops that only run forwards.

PyTorch multiplies float32 linear layers on CPU with MKL, which on AMD processors takes its
AVX2 path; oneDNN (also inside PyTorch) uses AVX-512 there and runs the same products about
twice as fast (SmolLM2's shapes on this project's EPYC: ~170 vs ~360 GFLOP/s on 2 threads).
On Intel processors MKL takes its AVX-512 path, so expect less there (not measured). The
results are float32 sums in another order: they differ from MKL's by float32 rounding only
(SmolLM2 on SST-2: choice log-likelihoods within 6e-5).

`onednn_linears(model)` swaps every float32 `nn.Linear` (except the output embeddings, which
the scorers apply to one position) for one holding a oneDNN-packed copy of its weight while
the block runs, and puts the originals back after. The packed ops are PyTorch internals (the
ones its inductor compiler emits), so where they are missing or fail a probe, nothing is
swapped and the model runs as it is. HARNESS_ONEDNN=0 turns the swap off.
"""

from __future__ import annotations

import functools
import os
from contextlib import contextmanager
from typing import Iterator

import torch
from torch import nn


class PackedLinear(nn.Module):
    """A linear layer for forwards without gradients: oneDNN with a pre-packed weight."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        self.original = linear
        self.packed = torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach(), None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() or x.dtype != torch.float32 or x.device.type != "cpu":
            return self.original(x)
        bias = self.original.bias
        return torch.ops.mkldnn._linear_pointwise(x, self.packed, None if bias is None else bias.detach(),
                                                  "none", [], "")


def available() -> bool:
    """oneDNN is built in, not turned off, and its packed linear agrees with a plain product on a small case."""
    return unavailable_reason() is None


def unavailable_reason() -> str | None:
    if os.environ.get("HARNESS_ONEDNN", "1") == "0":
        return "HARNESS_ONEDNN=0 turns oneDNN's linear layers off; unset it to use them"
    if not _packed_linear_works():
        return "this PyTorch build has no working oneDNN packed linear (torch.ops.mkldnn._linear_pointwise)"
    return None


@functools.cache
def _packed_linear_works() -> bool:
    if not torch.backends.mkldnn.is_available() or not hasattr(torch.ops.mkldnn, "_linear_pointwise"):
        return False
    try:  # fixed numbers: the probe must not draw from the global random generator
        weight = torch.linspace(-1, 1, 32).reshape(4, 8)
        x = torch.linspace(-2, 2, 24).reshape(3, 8)
        packed = torch.ops.mkldnn._reorder_linear_weight(weight, None)
        return torch.allclose(torch.ops.mkldnn._linear_pointwise(x, packed, None, "none", [], ""), x @ weight.T,
                              atol=1e-5)
    except (RuntimeError, AttributeError):
        return False


@contextmanager
def onednn_linears(model: nn.Module) -> Iterator[int]:
    """Swap the model's float32 CPU linear layers for oneDNN-packed ones; yields how many were swapped."""
    swapped = pack_linears(model) if available() else []
    try:
        yield len(swapped)
    finally:
        for parent, name, linear in swapped:
            setattr(parent, name, linear)


def pack_linears(model: nn.Module) -> list[tuple[nn.Module, str, nn.Linear]]:
    """Swap the float32 CPU linear layers (not the output embeddings) for packed ones, in place.

    Returns (parent, attribute, original layer) of each, to put them back.
    """
    skip = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    swapped = []
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if (type(child) is nn.Linear and child is not skip and child.weight.dtype == torch.float32
                    and child.weight.device.type == "cpu"):
                setattr(parent, name, PackedLinear(child))
                swapped.append((parent, name, child))
    return swapped
