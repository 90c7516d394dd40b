"""Fine-tuning methods, by name.

To add one: write a module with a `METHOD` (a `Method` subclass instance) and list it
below, or ship it from your own package under the entry point group `harness.methods`.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from harness.errors import unknown_name
from harness.methods import frozen, full, lora
from harness.methods.base import Method, Option, count_parameters

_BUILTIN = [full.METHOD, frozen.METHOD, lora.METHOD]


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


__all__ = ["Method", "Option", "all_methods", "count_parameters", "get_method"]
