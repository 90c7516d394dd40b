"""RunSpec: everything that decides a run's result, and a stable hash of it.

Defaults are resolved before hashing (the method's, then the task's), so asking for a
default explicitly gives the same run id as leaving it out. Where the output goes, how
progress is shown and which data folder holds the files do not change the result and
stay out of the spec.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.errors import HarnessError
from harness.robustness.perturbed import check_perturb_spec
from harness.tasks.prompts import find_prompt
from harness.variants import get_variant

TRAINING_DEFAULTS: dict[str, Any] = {
    "epochs": 5,  # an upper bound: early stopping keeps the best epoch
    "lr": 5e-5,
    "batch_size": 32,
    "grad_accum": 1,
    "warmup_ratio": 0.06,
    "weight_decay": 0.01,
    "patience": 2,  # epochs without improvement on the selection split before stopping
    "max_grad_norm": 1.0,
    "group_by_length": True,  # batches of similar length: far less padding, same randomness
}

# (is the value allowed, what to expect) for numeric options, checked before anything loads.
_BOUNDS: dict[str, tuple[Callable[[float], bool], str]] = {
    "epochs": (lambda v: v >= 1, "a positive number of epochs"),
    "lr": (lambda v: 0 < v < math.inf, "a positive learning rate"),
    "batch_size": (lambda v: v >= 1, "a positive batch size"),
    "grad_accum": (lambda v: v >= 1, "at least 1 step"),
    "warmup_ratio": (lambda v: 0 <= v < 1, "a share of the steps, at least 0 and below 1, such as 0.06"),
    "weight_decay": (lambda v: 0 <= v < math.inf, "0 or more, such as 0.01"),
    "max_grad_norm": (lambda v: v > 0, "a positive gradient norm"),
    "max_length": (lambda v: v >= 8, "at least 8 tokens"),
    "patience": (lambda v: v >= 1, "at least 1 epoch"),
    "train_limit": (lambda v: v >= 1, "a positive number of examples"),
    "eval_limit": (lambda v: v >= 1, "a positive number of examples"),
}
_WHOLE_NUMBERS = {"epochs", "batch_size", "grad_accum", "max_length", "patience", "train_limit", "eval_limit"}


@dataclass(frozen=True)
class RunSpec:
    model: str
    method: str
    task: str
    seed: int = 0
    training: dict[str, Any] = field(default_factory=dict)
    method_options: dict[str, Any] = field(default_factory=dict)
    max_length: int | None = None
    train_limit: int | None = None
    eval_limit: int | None = None
    pooling: str | None = None
    fold: int | None = None  # a task's fixed few-shot fold (FewCLUE) instead of its full train split
    prompt_hash: str | None = None  # zero/few-shot: the prompt's own hash, so an edited prompt is a new run
    perturb: str | None = None  # perturbations evaluated besides the clean data ("all" or NAME[:SEVERITY],...)
    variant: str | None = None  # a compressed/quantized variant of the trained model is what gets evaluated

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        for optional in ("prompt_hash", "perturb", "variant"):  # left out when unset: older run ids stay as they were
            if values[optional] is None:
                del values[optional]
        return values

    def run_id(self, task_hash: str) -> str:
        """Stable id of (spec, task definition): a changed task YAML is a different run."""
        canonical = json.dumps({"spec": self.to_dict(), "task_hash": task_hash}, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def build_spec(model: str, method, task, seed: int = 0, overrides: dict[str, Any] | None = None,
               method_options: dict[str, Any] | None = None, max_length: int | None = None,
               train_limit: int | None = None, eval_limit: int | None = None,
               pooling: str | None = None, fold: int | None = None, perturb: str | None = None,
               variant: str | None = None) -> RunSpec:
    """Resolve defaults: global < method's < user's; max length: task's < user's."""
    if method.applies_to is not None and task.kind not in method.applies_to:
        raise HarnessError(f"--method {method.name} does not apply to task {task.name}, a {task.kind} task "
                           f"(it applies to {', '.join(method.applies_to)} tasks); use a method that does, "
                           "e.g. --method lora")
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = sorted(set(overrides) - set(TRAINING_DEFAULTS))
    if unknown:
        raise HarnessError(f"unknown training option {', '.join(unknown)} (valid: {', '.join(TRAINING_DEFAULTS)})")
    if not method.trains and overrides:
        flags = ", ".join(f"--{name.replace('_', '-')}" for name in sorted(overrides))
        raise HarnessError(f"{flags} does not apply to --method {method.name}: it trains nothing")
    overrides = {name: _typed(name, value) for name, value in overrides.items()}
    training = {**TRAINING_DEFAULTS, **method.training_defaults, **overrides} if method.trains else {}
    options = method.resolve_options(method_options or {})
    prompt_hash = None
    if not method.trains:
        prompt = find_prompt(task.prompts, options.get("prompt"), task.name)
        options["prompt"], prompt_hash = prompt.name, prompt.hash  # the default named, so both give one run id
    spec = RunSpec(
        model=model, method=method.name, task=task.name, seed=int(seed), training=training,
        method_options=options, prompt_hash=prompt_hash,
        perturb=check_perturb_spec(perturb, task) if perturb else None,
        variant=_check_variant(variant, method) if variant else None,
        max_length=max_length or task.max_length, train_limit=train_limit, eval_limit=eval_limit, pooling=pooling,
        fold=fold,
    )
    check_bounds(spec)
    if fold is not None and not 0 <= fold < len(task.folds):
        if not task.folds:
            raise HarnessError(f"--fold {fold}: task {task.name} defines no folds; drop --fold to train on its "
                               "train split")
        raise HarnessError(f"--fold {fold}: task {task.name} has folds 0 to {len(task.folds) - 1}; "
                           "use one of those")
    return spec


def _check_variant(name: str, method) -> str:
    if not method.trains:
        raise HarnessError(f"--variant applies to fine-tuned runs, not --method {method.name}; "
                           "`harness profile --model M --task T` profiles a pretrained model")
    return get_variant(name).name


def _typed(name: str, value: Any) -> Any:
    """A training option as its default's type. Sweep files hand over what YAML read: `1e-3` is a
    string there (YAML floats need a dot), `five` is a mistake."""
    default = TRAINING_DEFAULTS[name]
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        expected = "true or false"
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            return int(value)
        expected = "a whole number"
    else:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        expected = "a number"
    raise HarnessError(f"--{name.replace('_', '-')} {value!r}: expected {expected} "
                       f"(training option {name}, default {default})")


def check_bounds(spec: RunSpec) -> None:
    values = {**spec.training, "max_length": spec.max_length, "train_limit": spec.train_limit,
              "eval_limit": spec.eval_limit}
    for name, (allowed, expected) in _BOUNDS.items():
        value = values.get(name)
        if value is None:
            continue
        whole = name in _WHOLE_NUMBERS
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) or not allowed(value):
            expected = f"{expected} (a whole number)" if whole and not isinstance(value, int) else expected
            raise HarnessError(f"--{name.replace('_', '-')} {value}: expected {expected}")
