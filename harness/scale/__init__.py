"""Models of billions of parameters on one GPU: a quantized frozen base (QLoRA), gradient checkpointing and the
attention kernel (settings.py: what a run asks for and what is refused; backbone.py: applied where a model
loads)."""

from harness.scale.settings import (
    ATTENTIONS,
    QUANTIZABLE_METHODS,
    QUANTIZED_BASES,
    BackboneSettings,
    check_environment,
    check_settings,
)

__all__ = ["ATTENTIONS", "QUANTIZABLE_METHODS", "QUANTIZED_BASES", "BackboneSettings", "check_environment",
           "check_settings"]
