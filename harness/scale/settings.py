"""How the backbone is held and run, for models of billions of parameters: a quantized frozen base (QLoRA),
gradient checkpointing and the attention kernel.

All three change what a run computes (quantized weights, recomputed activations, another kernel), so they
are part of the run's spec; `check_settings` refuses what cannot work before any model loads, and
`check_environment` what this machine cannot do (no CUDA, a package not installed).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError

QUANTIZED_BASES = ("4bit", "8bit")  # bitsandbytes NF4 (double quantization, bf16 compute) and LLM.int8()
ATTENTIONS = ("sdpa", "eager", "flash_attention_2")  # transformers' attn_implementation names
# Methods that train adapters beside a frozen base, which bitsandbytes' quantized layers can carry.
QUANTIZABLE_METHODS = ("lora", "dora", "adalora", "ia3")


@dataclass(frozen=True)
class BackboneSettings:
    """A run's choices for its backbone; the defaults are what every run did before they existed."""

    quantize_base: str | None = None
    gradient_checkpointing: bool = False
    attention: str | None = None  # None: transformers' own choice (sdpa where the model supports it)

    @classmethod
    def of(cls, spec: Any) -> BackboneSettings:
        """From a RunSpec, or a spec dictionary read back from a record or a saved model's manifest."""
        get = spec.get if isinstance(spec, dict) else lambda name: getattr(spec, name, None)
        return cls(get("quantize_base"), bool(get("gradient_checkpointing")), get("attention"))

    @property
    def any(self) -> bool:
        return self != BackboneSettings()


def check_settings(settings: BackboneSettings, method: Any) -> BackboneSettings:
    """The settings if they can apply to `method` (a harness Method); HarnessError naming the fix otherwise."""
    if settings.quantize_base is not None and settings.quantize_base not in QUANTIZED_BASES:
        raise HarnessError(f"--quantize-base {settings.quantize_base}: expected one of {', '.join(QUANTIZED_BASES)}")
    if settings.attention is not None and settings.attention not in ATTENTIONS:
        raise HarnessError(f"--attention {settings.attention}: expected one of {', '.join(ATTENTIONS)}")
    if settings.quantize_base is not None and method.name not in QUANTIZABLE_METHODS:
        why = ("it trains every weight of the base, which quantized weights cannot" if method.name == "full"
               else "it trains no adapters beside a frozen base" if method.trains
               else "it trains nothing (prompting scores the base as it is)")
        raise HarnessError(f"--quantize-base does not apply to --method {method.name}: {why}; use it with "
                           f"{', '.join(QUANTIZABLE_METHODS)} (QLoRA: --method lora --quantize-base 4bit)")
    if settings.gradient_checkpointing and not method.trains:
        raise HarnessError(f"--gradient-checkpointing does not apply to --method {method.name}: it trains nothing, "
                           "so there are no activations to recompute; leave the flag out")
    if settings.gradient_checkpointing and getattr(method, "no_checkpointing_because", ""):
        raise HarnessError(f"--gradient-checkpointing does not apply to --method {method.name}: "
                           f"{method.no_checkpointing_because}; use prompt or ptuning, or leave the flag out")
    return settings


def check_environment(settings: BackboneSettings, cuda: bool) -> None:
    """What this machine must have for the settings (`cuda`: the run will use a CUDA device)."""
    if settings.quantize_base is not None:
        if not cuda:
            raise HarnessError(f"--quantize-base {settings.quantize_base} runs on CUDA only (bitsandbytes' quantized "
                               "training kernels); on this machine leave it out (plain --method lora keeps the base "
                               "in full precision)")
        if importlib.util.find_spec("bitsandbytes") is None:
            raise HarnessError(f"--quantize-base {settings.quantize_base} needs bitsandbytes, which is not installed: "
                               "pip install 'harness[qlora]'")
    if settings.attention == "flash_attention_2":
        if not cuda:
            raise HarnessError("--attention flash_attention_2 runs on CUDA only; use --attention sdpa (the default "
                               "where the model supports it) or eager")
        if importlib.util.find_spec("flash_attn") is None:
            raise HarnessError("--attention flash_attention_2 needs the flash-attn package, which is not installed: "
                               "pip install flash-attn --no-build-isolation (or use --attention sdpa)")
