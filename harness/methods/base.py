"""What a fine-tuning method is: options, training defaults, and a model -> model step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

from harness.errors import HarnessError
from harness.models.heads import TaskModel
from harness.ranges import Range
from harness.registry import Registry


@dataclass(frozen=True)
class Option:
    """A method hyper-parameter; the CLI exposes it as --<method>-<name>. A number declares its range."""

    name: str
    type: type
    default: Any
    help: str
    range: Range | None = None  # required for int and float options (tests/test_option_ranges.py checks)


@dataclass(frozen=True)
class Method:
    """Base class: subclasses set the fields and override `prepare`.

    `training_defaults` override the global ones (learning rate, epochs...) unless the
    user sets them. `prepare` runs after `check`, before training, and returns the module
    to train with exactly the parameters the method trains left trainable; it may wrap the
    TaskModel (peft) but must keep its forward signature. `total_updates` is the number of
    optimiser updates training will make (rank schedules need it). `after_update` runs
    after every optimiser update, before gradients are cleared.
    """

    name: str
    description: str
    options: tuple[Option, ...] = ()
    training_defaults: dict[str, Any] = field(default_factory=dict)
    applies_to: tuple[str, ...] | None = None  # task kinds; None means every kind
    trains: bool = True  # False for prompting methods (zero/few-shot): they score, never train
    # why adversarial training (harness.remedy) cannot perturb this method's input embeddings; "" when it can
    no_adversarial_because: str = ""
    # why gradient checkpointing (harness.scale) cannot apply to this method; "" when it can
    no_checkpointing_because: str = ""

    def resolve_options(self, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults filled in, unknown option names refused."""
        known = {o.name: o for o in self.options}
        given = {name.replace("-", "_"): value for name, value in given.items()}
        unknown = sorted(set(given) - set(known))
        if unknown:
            valid = ", ".join(option_flag(self.name, n) for n in known) or "none"
            raise HarnessError(f"method {self.name} has no option {', '.join(unknown)} (its options: {valid})")
        return {name: (_convert(option, self.name, given[name]) if name in given else option.default)
                for name, option in known.items()}

    def check(self, model: TaskModel, kind: str, options: dict[str, Any]) -> None:
        """Raise HarnessError, before any training, when this method cannot apply."""
        if self.applies_to is not None and kind not in self.applies_to:
            raise HarnessError(f"method {self.name} does not apply to {kind} tasks "
                               f"(it applies to: {', '.join(self.applies_to)})")

    def prepare(self, model: TaskModel, options: dict[str, Any], total_updates: int) -> nn.Module:
        raise NotImplementedError

    def after_update(self, model: nn.Module, update: int) -> None:
        """Called with the number of updates made so far; most methods need nothing here."""

    def training_state(self, model: nn.Module) -> dict[str, Any]:
        """State the method keeps outside the model's weights, saved in training checkpoints."""
        return {}

    def load_training_state(self, model: nn.Module, state: dict[str, Any]) -> None:
        """Put back what `training_state` returned when a checkpointed run resumes."""


# Every method by name. A built-in registers beside its definition; an installed package adds
# its own under the entry point group `harness.methods` (one may replace a built-in by name).
METHODS: Registry[Method] = Registry("method", "harness.methods", plugins_replace=True)


def option_flag(method: str, option: str) -> str:
    return f"--{method}-{option.replace('_', '-')}"


_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _convert(option: Option, method: str, value: Any) -> Any:
    """A value from a flag or a sweep file as the option's type; a clear error when it is not one."""
    kind = option.type
    if option.range is not None:
        return option.range.check(option_flag(method, option.name), value)
    if kind is bool:
        converted = value if isinstance(value, bool) else _BOOLEANS.get(str(value).lower())
    elif isinstance(value, bool):
        converted = None
    elif kind is int:
        converted = value if isinstance(value, int) else int(value) if str(value).lstrip("-").isdigit() else None
    else:
        try:
            converted = kind(value)
        except (TypeError, ValueError):
            converted = None
    if converted is None:
        raise HarnessError(f"{option_flag(method, option.name)} expects {kind.__name__}, got {value!r}")
    return converted


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
