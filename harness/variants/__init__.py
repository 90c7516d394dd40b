"""Compressed and quantized variants of a model: each a named step model -> model.

    from harness.variants import check_available, select_variants
    variant = check_available("int8-dynamic", "cpu")       # refuses with the reason, loads nothing
    small = variant.apply(fresh_model, "cpu")              # the model itself may be changed

Built in: fp32, fp16, bf16 (precision.py), fp32-onednn (kernels.py), int8-dynamic and int8-dynamic-emb (dynamic.py),
int8-weight and int4-weight (torchao.py), bnb-8bit and bnb-4bit (bnb.py), prune-30 and
prune-50 (prune.py), lora-merged and lora-unmerged (merge.py); each registers in VARIANTS beside
its definition.
"""

from harness.variants.base import ENTRY_POINT_GROUP, VARIANTS, Variant
from harness.variants.registry import (
    REFERENCE,
    all_variants,
    apply_variant,
    available_names,
    check_available,
    get_variant,
    select_variants,
    unavailable_reason,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "REFERENCE",
    "VARIANTS",
    "Variant",
    "all_variants",
    "apply_variant",
    "available_names",
    "check_available",
    "get_variant",
    "select_variants",
    "unavailable_reason",
]
