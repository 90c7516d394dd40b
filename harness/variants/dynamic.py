"""PyTorch dynamic int8 quantization (CPU): int8 weights, activations quantized on the fly per batch.

Weights get one scale per output channel: with a single scale per matrix (PyTorch's default
dynamic qconfig), MiniLM fine-tuned on SST-2 lost 2.8 accuracy points; per channel, 0.5.

`quantize_dynamic` swaps the backbone's nn.Linear layers for int8 ones. It leaves the token
embedding matrix in fp32, and in a small encoder that matrix is a third of the model
(MiniLM: 30522 x 384 floats, 47 MB of 91), so `int8-dynamic-emb` also stores it as
8-bit rows with a scale and offset each (PyTorch's weight-only quantized Embedding).
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from harness.variants import model_parts
from harness.variants.base import VARIANTS, Variant

CPU_ONLY = ("PyTorch's dynamic int8 kernels (fbgemm, oneDNN, qnnpack) run on CPU only; "
            "on CUDA use int8-weight or bnb-8bit")


def _quantize(model: nn.Module, with_embeddings: bool) -> nn.Module:
    from torch.ao.quantization import float_qparams_weight_only_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

    model = model.to(device="cpu", dtype=torch.float32)
    spec: dict = {nn.Linear: per_channel_dynamic_qconfig}
    name = model_parts.word_embedding_name(model) if with_embeddings else None
    if name is not None:
        # By name: BERT's position and token-type embeddings are read through expanded (non-contiguous)
        # index tensors, which the quantized embedding kernel refuses.
        spec[name] = float_qparams_weight_only_qconfig
    with warnings.catch_warnings():
        # torch.ao.quantization announces its move to torchao; its eager dynamic path still works in 2.13.
        warnings.filterwarnings("ignore", message=r".*torch\.ao\.quantization.*")
        warnings.filterwarnings("ignore", message=r".*quantized tensor creation functions.*")
        quantize_dynamic(model_parts.backbone(model), spec, dtype=torch.qint8, inplace=True)
    return model


def _needs(device: torch.device) -> str | None:
    if not [engine for engine in torch.backends.quantized.supported_engines if engine != "none"]:
        return "this PyTorch build has no quantized CPU engine (fbgemm, x86, onednn or qnnpack)"
    return None


def _model_check(model: nn.Module, with_embeddings: bool) -> str | None:
    if not model_parts.backbone_linears(model):
        return "its backbone has no nn.Linear layers to quantize"
    if with_embeddings and model_parts.word_embedding_name(model) is None:
        return "its backbone exposes no token-embedding matrix (get_input_embeddings)"
    return None


def _variant(name: str, description: str, with_embeddings: bool) -> Variant:
    return Variant(
        name=name,
        description=description,
        transform=lambda model, device: _quantize(model, with_embeddings),
        devices=("cpu",),
        device_reason=CPU_ONLY,
        needs=_needs,
        model_check=lambda model: _model_check(model, with_embeddings),
    )


INT8_DYNAMIC = VARIANTS.register(_variant(
    "int8-dynamic", "PyTorch dynamic quantization: backbone linear layers in int8 (per-channel scales), embeddings "
    "stay fp32", with_embeddings=False))
INT8_DYNAMIC_EMB = VARIANTS.register(_variant(
    "int8-dynamic-emb", "int8-dynamic plus the token-embedding matrix in 8 bits per row (smaller on disk)",
    with_embeddings=True))
