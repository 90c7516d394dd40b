"""Floating-point variants: the whole model cast to fp32, fp16 or bf16."""

from __future__ import annotations

import torch
from torch import nn

from harness.variants.base import VARIANTS, Variant


def _cast(dtype: torch.dtype):
    def transform(model: nn.Module, device: torch.device) -> nn.Module:
        return model.to(device=device, dtype=dtype)

    return transform


def _bf16_needs(device: torch.device) -> str | None:
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return "this GPU has no bf16 support (needs compute capability 8.0+, e.g. A100, H100); use fp16"
    return None


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX: oneDNN then runs bf16 matmuls natively instead of emulating them."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _bf16_note(device: torch.device) -> str | None:
    if device.type == "cpu" and not cpu_has_native_bf16():
        return "this CPU has no native bf16 (AVX512-BF16/AMX): emulated, expect it slower than fp32"
    return None


FP32 = VARIANTS.register(Variant(
    name="fp32",
    description="full precision: the reference every other variant is compared with",
    transform=_cast(torch.float32),
))

# fp16 on CPU is refused rather than allowed with a note: torch has fp16 CPU kernels, but most
# CPUs lack fp16 arithmetic and emulate it, so its latency says nothing about deploying fp16.
FP16 = VARIANTS.register(Variant(
    name="fp16",
    description="half precision (float16) weights and activations",
    transform=_cast(torch.float16),
    devices=("cuda",),
    device_reason="CPUs emulate float16 arithmetic; on CPU use bf16 or int8-dynamic",
))

BF16 = VARIANTS.register(Variant(
    name="bf16",
    description="bfloat16 weights and activations (fp32's range, 8 bits of mantissa)",
    transform=_cast(torch.bfloat16),
    needs=_bf16_needs,
    note=_bf16_note,
))
