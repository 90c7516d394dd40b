"""What a compressed variant is: a named model -> model step, with the devices and models it suits.

A variant is checked twice before it costs anything: `unavailable(device)` before any model
is loaded (the device, an optional package, a GPU feature), `applies(model)` once a model
is there (LoRA variants need a LoRA-wrapped model). `apply` then turns a freshly loaded
model into the variant, on the device, ready for inference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from harness.errors import HarnessError
from harness.registry import Registry
from harness.variants import model_parts

Transform = Callable[[nn.Module, torch.device], nn.Module]
DeviceCheck = Callable[[torch.device], "str | None"]
ModelCheck = Callable[[nn.Module], "str | None"]


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    # (model, device) -> the variant on that device; it may change the model it is given
    transform: Transform = field(repr=False)
    devices: tuple[str, ...] = ("cpu", "cuda")
    device_reason: str = ""  # why the other devices cannot run it, said when one is refused
    # what else the device must offer (a package, a GPU feature): the reason it does not, or None
    needs: DeviceCheck | None = field(default=None, repr=False)
    model_check: ModelCheck | None = field(default=None, repr=False)  # why a model cannot take it, or None
    methods: tuple[str, ...] | None = None  # fine-tuning methods whose runs it applies to; None: any model
    # Weight-mergeable adapters (LoRA, IA3) are merged before the variant: that is the model one would ship.
    merge_first: bool = True
    # a caveat worth printing beside the figures (no speed-up expected, emulated arithmetic, ...)
    note: DeviceCheck | None = field(default=None, repr=False)

    def unavailable(self, device: torch.device | str) -> str | None:
        """Why this device cannot run the variant, or None; nothing is loaded."""
        device = torch.device(device)
        if device.type not in self.devices:
            where = " or ".join(d.upper() for d in self.devices)
            return f"needs {where}" + (f" ({self.device_reason})" if self.device_reason else "")
        return self.needs(device) if self.needs is not None else None

    def refuses_method(self, method: str | None) -> str | None:
        """Why a run fine-tuned with `method` (None: a pretrained model) cannot take the variant, or None."""
        if self.methods is None:
            return None
        allowed = ", ".join(self.methods)
        if method is None:
            return f"applies only to a fine-tuned run of {allowed} (pass --run with one)"
        if method not in self.methods:
            return f"applies only to runs fine-tuned with {allowed}; this run used {method}"
        return None

    def applies(self, model: nn.Module) -> str | None:
        """Why this model cannot take the variant, or None."""
        return self.model_check(model) if self.model_check is not None else None

    def caveat(self, device: torch.device | str) -> str | None:
        return self.note(torch.device(device)) if self.note is not None else None

    def apply(self, model: nn.Module, device: torch.device | str = "cpu") -> nn.Module:
        """The variant of `model` on `device`, in eval mode. `model` itself may be changed: pass a fresh one."""
        device = torch.device(device)
        reason = self.unavailable(device)
        if reason:
            raise HarnessError(f"variant {self.name} cannot run on {device.type}: {reason}")
        if self.merge_first:
            model = model_parts.merge_adapters(model)
        reason = self.applies(model)
        if reason:
            raise HarnessError(f"variant {self.name} does not apply to this model: {reason}")
        return self.transform(model, device).eval()


# Every variant by name. A built-in registers beside its definition; an installed package adds
# its own under this entry point group (one may replace a built-in by name).
ENTRY_POINT_GROUP = "harness.variants"
VARIANTS: Registry[Variant] = Registry("variant", ENTRY_POINT_GROUP, plugins_replace=True)
