"""RunSpec: everything that decides a run's result, and a stable hash of it.

Defaults are resolved before hashing (the method's, then the task's), so asking for a
default explicitly gives the same run id as leaving it out. Where the output goes, how
progress is shown and which data folder holds the files do not change the result and
stay out of the spec.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.errors import HarnessError
from harness.robustness.variants import check_perturb_spec
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

# (lowest allowed, what to say) for numeric options, checked before anything loads.
_BOUNDS = {
    "epochs": (1, "a positive number of epochs"),
    "lr": (0, "a positive learning rate"),
    "batch_size": (1, "a positive batch size"),
    "grad_accum": (1, "at least 1 step"),
    "max_length": (8, "at least 8 tokens"),
    "patience": (1, "at least 1 epoch"),
    "train_limit": (1, "a positive number of examples"),
    "eval_limit": (1, "a positive number of examples"),
}


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
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = sorted(set(overrides) - set(TRAINING_DEFAULTS))
    if unknown:
        raise HarnessError(f"unknown training option {', '.join(unknown)} (valid: {', '.join(TRAINING_DEFAULTS)})")
    if not method.trains and overrides:
        flags = ", ".join(f"--{name.replace('_', '-')}" for name in sorted(overrides))
        raise HarnessError(f"{flags} does not apply to --method {method.name}: it trains nothing")
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
        valid = f"0 to {len(task.folds) - 1}" if task.folds else "none: the task defines no folds"
        raise HarnessError(f"--fold {fold}: task {task.name} has folds {valid}")
    return spec


def _check_variant(name: str, method) -> str:
    if not method.trains:
        raise HarnessError(f"--variant applies to fine-tuned runs, not --method {method.name}; "
                           "`harness profile --model M --task T` profiles a pretrained model")
    return get_variant(name).name


def check_bounds(spec: RunSpec) -> None:
    values = {**spec.training, "max_length": spec.max_length, "train_limit": spec.train_limit,
              "eval_limit": spec.eval_limit}
    for name, (lowest, expected) in _BOUNDS.items():
        value = values.get(name)
        if value is None:
            continue
        if (value <= 0 if lowest == 0 else value < lowest):
            raise HarnessError(f"--{name.replace('_', '-')} {value}: expected {expected}")
