"""The parts of a model that variants change: the task model inside a peft wrapper, the
backbone's linear layers and its word embeddings. The task head is never compressed: it is
a few hundred parameters and holds the task's whole decision.
"""

from __future__ import annotations

from peft import PeftModel
from peft.utils import PeftType
import torch
from torch import nn

LORA_TYPES = (PeftType.LORA, PeftType.ADALORA)
# Adapters whose update folds into the base weights exactly (merge_and_unload).
MERGEABLE_TYPES = (*LORA_TYPES, PeftType.IA3)


def peft_type(model: nn.Module) -> PeftType | None:
    if not isinstance(model, PeftModel):
        return None
    return model.peft_config[model.active_adapter].peft_type


def task_model(model: nn.Module) -> nn.Module:
    """The TaskModel (backbone + head), unwrapped from peft if need be."""
    return model.get_base_model() if isinstance(model, PeftModel) else model


def backbone(model: nn.Module) -> nn.Module:
    inner = task_model(model)
    return getattr(inner, "backbone", inner)


def backbone_linears(model: nn.Module) -> list[tuple[str, nn.Linear]]:
    """(name inside the backbone, layer) of every nn.Linear of the backbone, adapters' own layers included."""
    return [(name, module) for name, module in backbone(model).named_modules() if type(module) is nn.Linear]


def replace_module(root: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    setattr(root.get_submodule(parent_name) if parent_name else root, child, new)


def word_embedding_name(model: nn.Module) -> str | None:
    """Name inside the backbone of the token-embedding matrix (transformers' get_input_embeddings)."""
    body = backbone(model)
    getter = getattr(body, "get_input_embeddings", None)
    embeddings = getter() if getter is not None else None
    if embeddings is None:
        return None
    return next((name for name, module in body.named_modules() if module is embeddings), None)


def merge_adapters(model: nn.Module) -> nn.Module:
    """Fold LoRA / IA3 updates into the base weights; any other model is returned as it is."""
    if peft_type(model) in MERGEABLE_TYPES:
        return model.merge_and_unload()
    return model


def linear_sparsity(model: nn.Module) -> float | None:
    """Share of exactly-zero weights over the backbone's (still float) linear layers; None if it has none."""
    # Quantized weights (tensor subclasses) are left out: zeros there mean something else.
    linears = [(name, layer) for name, layer in backbone_linears(model) if type(layer.weight.data) is torch.Tensor]
    total = sum(layer.weight.numel() for _, layer in linears)
    if total == 0:
        return None
    zeros = sum(int((layer.weight == 0).sum()) for _, layer in linears)
    return zeros / total


def linears_missing(model: nn.Module) -> str | None:
    """Why a weight quantization cannot apply: None when the backbone has linear layers."""
    return None if backbone_linears(model) else "its backbone has no nn.Linear layers to quantize"
