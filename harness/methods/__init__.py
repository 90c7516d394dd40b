"""Fine-tuning methods, by name.

To add one: write a module with a `METHOD` (a `Method` subclass instance) and list it
below, or ship it from your own package under the entry point group `harness.methods`.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from harness.errors import unknown_name
from harness.methods import adalora, adapters, bitfit, frozen, full, ia3, lora, prompt_learning, prompting
from harness.methods.base import Method, Option, count_parameters, option_flag

_BUILTIN = [
    full.METHOD, frozen.METHOD, bitfit.METHOD, lora.METHOD, lora.DORA, adalora.METHOD, ia3.METHOD,
    prompt_learning.PREFIX, prompt_learning.PROMPT, prompt_learning.PTUNING, adapters.HOULSBY, adapters.PFEIFFER,
    prompting.ZERO_SHOT, prompting.FEW_SHOT,
]


def all_methods() -> dict[str, Method]:
    methods = {m.name: m for m in _BUILTIN}
    for entry in entry_points(group="harness.methods"):
        method = entry.load()
        methods[method.name] = method
    return methods


def get_method(name: str) -> Method:
    methods = all_methods()
    if name not in methods:
        raise unknown_name("method", name, methods)
    return methods[name]


__all__ = ["Method", "Option", "all_methods", "count_parameters", "get_method", "option_flag"]
