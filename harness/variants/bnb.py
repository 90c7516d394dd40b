"""bitsandbytes: LLM.int8() (8-bit with fp16 outliers) and 4-bit NF4 linear layers, CUDA only.

The backbone's nn.Linear layers are swapped for bitsandbytes layers holding the same
weights; moving the model to the GPU quantizes them. bitsandbytes is not a dependency of
the harness: install it on the CUDA machine that profiles (`pip install bitsandbytes`).
"""

from __future__ import annotations

import importlib.util

import torch
from torch import nn

from harness.variants import model_parts
from harness.variants.base import VARIANTS, Variant

CUDA_ONLY = "bitsandbytes' int8 and NF4 kernels run on NVIDIA GPUs; on CPU use int8-dynamic"


def _needs_bnb(device: torch.device) -> str | None:
    if importlib.util.find_spec("bitsandbytes") is None:
        return "needs bitsandbytes, which is not installed (pip install bitsandbytes on this CUDA machine)"
    return None


def _compute_dtype() -> torch.dtype:
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def _int8_layer(linear: nn.Linear) -> nn.Module:
    import bitsandbytes as bnb

    layer = bnb.nn.Linear8bitLt(linear.in_features, linear.out_features, bias=linear.bias is not None,
                                has_fp16_weights=False, threshold=6.0)  # 6.0: LLM.int8()'s outlier threshold
    layer.weight = bnb.nn.Int8Params(linear.weight.data.to(torch.float16), requires_grad=False,
                                     has_fp16_weights=False)
    if linear.bias is not None:
        layer.bias = nn.Parameter(linear.bias.data.to(torch.float16), requires_grad=False)
    return layer


def _nf4_layer(linear: nn.Linear) -> nn.Module:
    import bitsandbytes as bnb

    dtype = _compute_dtype()
    layer = bnb.nn.Linear4bit(linear.in_features, linear.out_features, bias=linear.bias is not None,
                              compute_dtype=dtype, quant_type="nf4")
    layer.weight = bnb.nn.Params4bit(linear.weight.data.to(dtype), requires_grad=False, quant_type="nf4")
    if linear.bias is not None:
        layer.bias = nn.Parameter(linear.bias.data.to(dtype), requires_grad=False)
    return layer


def _swap(make, dtype_of):
    def transform(model: nn.Module, device: torch.device) -> nn.Module:
        model = model.to(dtype=dtype_of())  # the layers around the quantized ones compute in half precision
        body = model_parts.backbone(model)
        for name, linear in model_parts.backbone_linears(model):
            model_parts.replace_module(body, name, make(linear))
        return model.to(device)  # the bitsandbytes parameters quantize on their way to the GPU

    return transform


BNB_8BIT = VARIANTS.register(Variant(
    name="bnb-8bit",
    description="bitsandbytes LLM.int8(): int8 linear weights, outlier features kept in fp16",
    transform=_swap(_int8_layer, lambda: torch.float16),
    devices=("cuda",),
    device_reason=CUDA_ONLY,
    needs=_needs_bnb,
    model_check=model_parts.linears_missing,
))

BNB_4BIT = VARIANTS.register(Variant(
    name="bnb-4bit",
    description="bitsandbytes 4-bit NF4 linear weights, bf16 (or fp16) compute",
    transform=_swap(_nf4_layer, _compute_dtype),
    devices=("cuda",),
    device_reason=CUDA_ONLY,
    needs=_needs_bnb,
    model_check=model_parts.linears_missing,
))
