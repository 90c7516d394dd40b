"""Variants by name, what this device can run, and a `--variants` list resolved into variants.

To add one: write a `Variant` (a transform model -> model plus where it runs) in a module
here, registered beside its definition (`MINE = VARIANTS.register(Variant(...))`), and
import it below; or ship it from your own package under the entry point group `harness.variants`.
"""

from __future__ import annotations

import torch
from torch import nn

# Imported for their registrations, in the order profiles and `harness profile --list` show them.
from harness.variants import precision, kernels, dynamic, torchao, bnb, prune, merge  # noqa: F401, I001
from harness.errors import HarnessError
from harness.variants.base import ENTRY_POINT_GROUP, VARIANTS, Variant

REFERENCE = "fp32"  # every profile measures it, and reports the others' metric drop against it


def all_variants() -> dict[str, Variant]:
    return VARIANTS.all()


def get_variant(name: str) -> Variant:
    return VARIANTS.get(name)


def unavailable_reason(variant: Variant, device: torch.device | str, method: str | None = None) -> str | None:
    """Why `variant` cannot be profiled on `device` for a run of `method` (None: pretrained), or None."""
    return variant.unavailable(device) or variant.refuses_method(method)


def available_names(device: torch.device | str, method: str | None = None) -> list[str]:
    return [name for name, variant in all_variants().items() if unavailable_reason(variant, device, method) is None]


def check_available(name: str, device: torch.device | str, method: str | None = None) -> Variant:
    """The variant, or a one-line HarnessError saying why not and what this device can run; loads nothing."""
    variant = get_variant(name)
    device = torch.device(device)
    reason = unavailable_reason(variant, device, method)
    if reason:
        raise HarnessError(f"variant {name} cannot run here: {reason}; available on {device.type}"
                           f"{'' if method is None else f' for a {method} run'}: "
                           f"{', '.join(available_names(device, method))}")
    return variant


def select_variants(spec: str, device: torch.device | str, method: str | None = None
                    ) -> tuple[list[Variant], dict[str, str]]:
    """('all' or 'a,b,c') -> (variants to profile, reference first; {skipped name: reason}).

    'all' takes every variant this device and run can take and says why it skipped the rest;
    a variant named explicitly that cannot run is an error. The fp32 reference is always added.
    """
    names = [part.strip() for part in spec.split(",") if part.strip()]
    if not names:
        raise HarnessError("--variants is empty; give 'all' or names such as fp32,int8-dynamic")
    skipped: dict[str, str] = {}
    if names == ["all"]:
        chosen = []
        for name, variant in all_variants().items():
            reason = unavailable_reason(variant, device, method)
            if reason:
                skipped[name] = reason
            else:
                chosen.append(variant)
    else:
        chosen = [check_available(name, device, method) for name in dict.fromkeys(names)]
    if REFERENCE not in [variant.name for variant in chosen]:
        chosen.insert(0, get_variant(REFERENCE))
    chosen.sort(key=lambda variant: variant.name != REFERENCE)  # stable: the reference first, the rest as given
    return chosen, skipped


def apply_variant(name: str, model: nn.Module, device: torch.device | str = "cpu",
                  method: str | None = None) -> nn.Module:
    """`harness run --variant NAME`: the model fine-tuned with `method` turned into the variant, on `device`."""
    return check_available(name, device, method).apply(model, device)
