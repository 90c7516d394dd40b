"""torchao weight-only quantization: int8 (CPU and CUDA) and int4 (CUDA) weights, activations in float.

torchao is optional (`pip install 'torchao==0.18.0'`, the `quant` extra): it is not a core
dependency because peft imports it, when installed, every time it wraps a layer in LoRA.
Checked here with torch 2.13 on CPU: int8 weight-only runs (dequantises in its matmul);
int4 does not: torchao 0.18's int4 layouts need CUDA (tinygemm, bf16) or the separate mslk
package, and its CPU fallback keeps int4 values in int8 bytes, no smaller than int8-weight.
"""

from __future__ import annotations

import importlib.util
import logging
from importlib.metadata import PackageNotFoundError, version

import torch
from torch import nn

from harness.variants import model_parts
from harness.variants.base import VARIANTS, Variant

MIN_VERSION = (0, 18)
INSTALL = "pip install 'torchao==0.18.0'"
INT4_GROUP_SIZE = 128  # weights share a scale per 128 inputs; layers whose width is not a multiple stay bf16


def torchao_version() -> tuple[int, ...] | None:
    if importlib.util.find_spec("torchao") is None:
        return None
    try:
        return tuple(int(part) for part in version("torchao").split(".")[:2] if part.isdigit())
    except PackageNotFoundError:
        return None


def _needs_torchao(device: torch.device) -> str | None:
    found = torchao_version()
    if found is None:
        return f"needs torchao, which is not installed ({INSTALL})"
    if found < MIN_VERSION:
        return f"needs torchao >= {'.'.join(map(str, MIN_VERSION))}, found {'.'.join(map(str, found))} ({INSTALL})"
    return None


def _needs_int4(device: torch.device) -> str | None:
    missing = _needs_torchao(device)
    if missing:
        return missing
    if torch.cuda.get_device_capability(device) < (8, 0):
        return "torchao's int4 kernel (tinygemm, bf16) needs compute capability 8.0+ (A100, H100)"
    return None


def _quantize(model: nn.Module, device: torch.device, config_name: str) -> nn.Module:
    # torchao logs every optional CUDA extension it cannot load (none load on a CPU build): keep that quiet.
    noisy = [logging.getLogger(name) for name in ("torchao", "torch.utils._pytree")]
    levels = [logger.level for logger in noisy]
    for logger in noisy:
        logger.setLevel(logging.ERROR)
    try:
        from torchao.quantization import Int4WeightOnlyConfig, Int8WeightOnlyConfig, quantize_

        if config_name == "int4":
            model = model.to(device=device, dtype=torch.bfloat16)  # the int4 kernel computes in bf16
            config = Int4WeightOnlyConfig(group_size=INT4_GROUP_SIZE, int4_packing_format="tile_packed_to_4d")
        else:
            # bf16 activations on GPU (the usual pairing), fp32 on CPU where bf16 may be emulated
            model = model.to(device=device, dtype=torch.bfloat16 if device.type == "cuda" else torch.float32)
            config = Int8WeightOnlyConfig()
        quantize_(model_parts.backbone(model), config)  # default filter: every nn.Linear
    finally:
        for logger, level in zip(noisy, levels):
            logger.setLevel(level)
    return model


INT8_WEIGHT = VARIANTS.register(Variant(
    name="int8-weight",
    description="torchao weight-only int8: linear weights in int8 (per channel), activations in float",
    transform=lambda model, device: _quantize(model, device, "int8"),
    needs=_needs_torchao,
    model_check=model_parts.linears_missing,
))

INT4_WEIGHT = VARIANTS.register(Variant(
    name="int4-weight",
    description=f"torchao weight-only int4 (groups of {INT4_GROUP_SIZE}), bf16 activations",
    transform=lambda model, device: _quantize(model, device, "int4"),
    devices=("cuda",),
    device_reason="torchao 0.18's int4 kernel, tinygemm, is CUDA-only; on CPU use int8-weight or int8-dynamic",
    needs=_needs_int4,
    model_check=model_parts.linears_missing,
))
