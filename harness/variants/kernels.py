"""Same weights, other kernels: fp32 with the linear layers run by oneDNN instead of PyTorch's default.

On CPUs where PyTorch's float32 matrix multiply (MKL) does not take its fastest path (AMD
processors get its AVX2 kernels), oneDNN's run the same products up to twice as fast with the
same float32 arithmetic. Profiling it beside int8-dynamic shows how much of a quantized
variant's speed-up plain float32 can already have, at no cost in accuracy.
"""

from __future__ import annotations

import torch
from torch import nn

from harness.models import onednn
from harness.variants.base import VARIANTS, Variant


def _pack(model: nn.Module, device: torch.device) -> nn.Module:
    model = model.to(device="cpu", dtype=torch.float32)
    onednn.pack_linears(model)
    return model


def _model_check(model: nn.Module) -> str | None:
    if not any(type(module) is nn.Linear for module in model.modules()):
        return "it has no nn.Linear layers"
    return None


FP32_ONEDNN = VARIANTS.register(Variant(
    name="fp32-onednn",
    description="fp32 weights, linear layers multiplied by oneDNN with pre-packed weights (inference only)",
    transform=_pack,
    devices=("cpu",),
    device_reason="oneDNN's packed linear is a CPU kernel; on CUDA fp32 already runs cuBLAS",
    needs=lambda device: onednn.unavailable_reason(),
    model_check=_model_check,
))
