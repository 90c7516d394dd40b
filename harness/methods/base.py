"""What a fine-tuning method is: options, training defaults, and a model -> model step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

from harness.errors import HarnessError
from harness.models.heads import TaskModel


@dataclass(frozen=True)
class Option:
    """A method hyper-parameter; the CLI exposes it as --<method>-<name>."""

    name: str
    type: type
    default: Any
    help: str


@dataclass(frozen=True)
class Method:
    """Base class: subclasses set the fields and override `prepare`.

    `training_defaults` override the global ones (learning rate, epochs...) unless the
    user sets them. `prepare` runs after `check`, before training, and returns the module
    to train; it may wrap the TaskModel (peft) but must keep its forward signature.
    """

    name: str
    description: str
    options: tuple[Option, ...] = ()
    training_defaults: dict[str, Any] = field(default_factory=dict)
    applies_to: tuple[str, ...] | None = None  # task kinds; None means every kind

    def resolve_options(self, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults filled in, unknown option names refused."""
        known = {o.name: o for o in self.options}
        unknown = sorted(set(given) - set(known))
        if unknown:
            valid = ", ".join(f"--{self.name}-{n}" for n in known) or "none"
            raise HarnessError(f"method {self.name} has no option {', '.join(unknown)} (its options: {valid})")
        return {name: (option.type(given[name]) if name in given else option.default)
                for name, option in known.items()}

    def check(self, model: TaskModel, kind: str, options: dict[str, Any]) -> None:
        """Raise HarnessError, before any training, when this method cannot apply."""
        if self.applies_to is not None and kind not in self.applies_to:
            raise HarnessError(f"method {self.name} does not apply to {kind} tasks "
                               f"(it applies to: {', '.join(self.applies_to)})")

    def prepare(self, model: TaskModel, options: dict[str, Any]) -> nn.Module:
        raise NotImplementedError


def count_parameters(module: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameters, each shared tensor counted once."""
    seen: set[int] = set()
    trainable = total = 0
    for parameter in module.parameters():
        if id(parameter) in seen:
            continue
        seen.add(id(parameter))
        total += parameter.numel()
        trainable += parameter.numel() if parameter.requires_grad else 0
    return trainable, total
