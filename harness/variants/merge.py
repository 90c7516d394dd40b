"""LoRA merged into the base weights, against LoRA applied at run time (as trained).

Merging folds B·A·scale into each adapted weight (`merge_and_unload`): same predictions, no
extra matmuls. Both variants need a model fine-tuned with a LoRA-family method.
"""

from __future__ import annotations

import torch
from torch import nn

from harness.variants import model_parts
from harness.variants.base import VARIANTS, Transform, Variant

LORA_METHODS = ("lora", "dora", "adalora")


def _lora_check(model: nn.Module) -> str | None:
    found = model_parts.peft_type(model)
    if found in model_parts.LORA_TYPES:
        return None
    what = f"a {found.value} model" if found is not None else "not wrapped in a peft LoRA adapter"
    return f"needs a model fine-tuned with LoRA ({', '.join(LORA_METHODS)}); this one is {what}"


def _merged(model: nn.Module, device: torch.device) -> nn.Module:
    return model.merge_and_unload().to(device=device, dtype=torch.float32)


def _unmerged(model: nn.Module, device: torch.device) -> nn.Module:
    return model.to(device=device, dtype=torch.float32)


def _variant(name: str, description: str, transform: Transform) -> Variant:
    # merge_first=False: both need the LoRA wrapper, which merging beforehand would take away
    return Variant(name=name, description=description, transform=transform, model_check=_lora_check,
                   methods=LORA_METHODS, merge_first=False)


LORA_MERGED = VARIANTS.register(_variant(
    "lora-merged", "LoRA updates folded into the base weights (merge_and_unload), fp32", _merged))
LORA_UNMERGED = VARIANTS.register(_variant(
    "lora-unmerged", "LoRA adapters applied at run time beside the frozen weights, as trained, fp32", _unmerged))
