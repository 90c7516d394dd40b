"""Fine-tuning methods, by name.

To add one: write a module here whose `Method` instance registers beside its definition,
`METHOD = METHODS.register(MyMethod(name="mine", ...))`, and import it below; or ship it
from your own package under the entry point group `harness.methods` (naming the instance,
a list of them, or a module that registers its own).
"""

from __future__ import annotations

# Imported for their registrations, in the order `harness run --help` lists their options.
from harness.methods import full, frozen, bitfit, lora, adalora, ia3  # noqa: F401, I001
from harness.methods import prompt_learning, adapters, prompting  # noqa: F401, I001
from harness.methods.base import METHODS, Method, Option, count_parameters, option_flag


def all_methods() -> dict[str, Method]:
    return METHODS.all()


def get_method(name: str) -> Method:
    return METHODS.get(name)


__all__ = ["METHODS", "Method", "Option", "all_methods", "count_parameters", "get_method", "option_flag"]
