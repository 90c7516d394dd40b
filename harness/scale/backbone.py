"""Backbone settings applied where a model loads: what `from_pretrained` is asked for, what the model class
must support (checked from its config, before the weights load), and what is done to the loaded backbone."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers import AutoModel

from harness.errors import HarnessError
from harness.scale.settings import BackboneSettings

# Non-reentrant checkpointing: recomputes the same activations with the same dropout masks (torch saves and
# restores the RNG state), and needs no inputs that require grad, so frozen embeddings under adapters are fine.
CHECKPOINTING_KWARGS = {"use_reentrant": False}


def model_class(config: Any) -> type | None:
    """The AutoModel class transformers builds for `config`; None for one it does not know (remote code)."""
    try:
        return AutoModel._model_mapping[type(config)]
    except (KeyError, ValueError):
        return None


def check_model_supports(settings: BackboneSettings, config: Any, name: str) -> None:
    """Refuse, before the weights load, an attention kernel or checkpointing the model class does not have."""
    cls = model_class(config)
    if cls is None:
        return  # transformers decides when it loads; its error is turned into one line by the loader
    supports = {"sdpa": cls._supports_sdpa, "flash_attention_2": cls._supports_flash_attn, "eager": True}
    if settings.attention is not None and not supports[settings.attention]:
        others = [kernel for kernel, ok in supports.items() if ok]
        raise HarnessError(f"--attention {settings.attention}: model {name} ({cls.__name__}) has no such kernel in "
                           f"transformers; use --attention {' or '.join(others)}")
    if settings.gradient_checkpointing and not cls.supports_gradient_checkpointing:
        raise HarnessError(f"--gradient-checkpointing: model {name} ({cls.__name__}) does not support gradient "
                           "checkpointing in transformers; leave the flag out")


def pretrained_kwargs(settings: BackboneSettings) -> dict[str, Any]:
    """Keyword arguments for `from_pretrained`: the attention kernel, and the quantized base's configuration."""
    kwargs: dict[str, Any] = {}
    if settings.attention is not None:
        kwargs["attn_implementation"] = settings.attention
    if settings.quantize_base is not None:
        kwargs["quantization_config"] = quantization_config(settings.quantize_base)
        kwargs["dtype"] = torch.bfloat16  # what the quantized layers compute in, and the rest of the base is held in
        kwargs["device_map"] = {"": _local_cuda_index()}  # bitsandbytes quantizes on the way to the GPU
    return kwargs


def quantization_config(bits: str):
    """QLoRA's recipe: NF4 with double quantization and bf16 compute; 8bit is LLM.int8()."""
    from transformers import BitsAndBytesConfig

    if bits == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.bfloat16)


def prepare_backbone(backbone: nn.Module, settings: BackboneSettings) -> None:
    """After loading: peft's k-bit preparation of a quantized base, then gradient checkpointing."""
    if settings.quantize_base is not None:
        from peft import prepare_model_for_kbit_training

        # freezes the base and casts its unquantized weights (norms, embeddings) to float32; checkpointing is ours
        prepare_model_for_kbit_training(backbone, use_gradient_checkpointing=False)
    if settings.gradient_checkpointing:
        enable_checkpointing(backbone)


def enable_checkpointing(backbone: nn.Module) -> None:
    """Recompute each layer's activations in the backward pass instead of keeping them."""
    if not getattr(backbone, "supports_gradient_checkpointing", False):
        raise HarnessError(f"--gradient-checkpointing: {type(backbone).__name__} does not support gradient "
                           "checkpointing in transformers; leave the flag out")
    backbone.activation_checkpointing_enable(activation_checkpointing_kwargs=dict(CHECKPOINTING_KWARGS))


def resolved_attention(backbone: nn.Module) -> str | None:
    """The attention kernel the loaded backbone runs (what transformers chose when none was asked for)."""
    return getattr(getattr(backbone, "config", None), "_attn_implementation", None)


def _local_cuda_index() -> int:
    """This process's GPU: under accelerate/torchrun each process holds a whole quantized copy on its own."""
    from accelerate import PartialState

    return PartialState().local_process_index
