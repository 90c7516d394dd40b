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
from harness.ranges import (
    DISTILL_ALPHA,
    EXAMPLES,
    SEED,
    STUDENT_LAYERS,
    TEMPERATURE,
    Range,
)
from harness.robustness.perturbed import check_perturb_spec
from harness.scale.settings import BackboneSettings, check_settings
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

# The declared range of every numeric option of a run (harness/ranges.py), checked before anything loads.
RANGES: dict[str, Range] = {
    "seed": SEED,
    "init_seed": SEED,
    "epochs": Range(int, 1, 1000, meaning="an upper bound on epochs"),
    "lr": Range(float, 0, 1, low_open=True, meaning="a learning rate such as 1e-4; above 1 training diverges"),
    "batch_size": Range(int, 1, 65536, meaning="examples per step"),
    "grad_accum": Range(int, 1, 65536, meaning="batches per optimiser update"),
    "warmup_ratio": Range(float, 0, 1, high_open=True, meaning="a share of the steps, such as 0.06"),
    "weight_decay": Range(float, 0, 1, meaning="such as 0.01"),
    "max_grad_norm": Range(float, 0, 1e6, low_open=True, meaning="a gradient norm to clip at, such as 1.0"),
    "max_length": Range(int, 8, 1_000_000, meaning="tokens per example"),
    "patience": Range(int, 1, 1000, meaning="epochs without improvement"),
    "train_limit": EXAMPLES,
    "eval_limit": EXAMPLES,
    "fold": Range(int, 0, 999, meaning="a fold number"),
    "student_layers": STUDENT_LAYERS,
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
    # what members of a weight soup share: the head's and method's initial weights, the training sample and the
    # selection split; `seed` then varies only batch order and dropout (None: `seed` decides everything)
    init_seed: int | None = None
    student_layers: int | None = None  # the model cut down to this many of its layers (harness.models.layers)
    # a student taught by a recorded run: teacher run id, alpha, temperature, transfer data (harness.distill)
    distill: dict[str, Any] | None = None
    # training for robustness: augmentation and adversarial training with their settings (harness.remedy)
    remedy: dict[str, Any] | None = None
    # adversarial attacks in evaluation: names, query budget and largest share changed (harness.attack)
    attack: dict[str, Any] | None = None
    # zero/few-shot over several prompts, formats and demonstration draws (harness.prompt_spread)
    prompt_spread: dict[str, Any] | None = None
    # the backbone for large models (harness.scale): a quantized frozen base (QLoRA: "4bit"), gradient
    # checkpointing (True or unset) and the attention kernel (unset: transformers' own choice)
    quantize_base: str | None = None
    gradient_checkpointing: bool | None = None
    attention: str | None = None

    @property
    def shared_seed(self) -> int:
        """The seed of the initial weights and the data sample."""
        return self.seed if self.init_seed is None else self.init_seed

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        # left out when unset: older run ids stay as they were
        for optional in ("prompt_hash", "perturb", "variant", "init_seed", "student_layers", "distill", "remedy",
                         "attack", "prompt_spread", "quantize_base", "gradient_checkpointing", "attention"):
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
               variant: str | None = None, init_seed: int | None = None, student_layers: int | None = None,
               distill: dict[str, Any] | None = None, remedy: dict[str, Any] | None = None,
               attack: dict[str, Any] | None = None, prompt_spread: dict[str, Any] | None = None,
               backbone: BackboneSettings | None = None) -> RunSpec:
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
    if init_seed is not None and not method.trains:
        raise HarnessError(f"--init-seed does not apply to --method {method.name}: it initialises nothing")
    if student_layers is not None and not method.trains:
        raise HarnessError(f"--student-layers does not apply to --method {method.name}: it trains nothing")
    overrides = {name: _typed(name, value) for name, value in overrides.items()}
    training = {**TRAINING_DEFAULTS, **method.training_defaults, **overrides} if method.trains else {}
    options = method.resolve_options(method_options or {})
    backbone = check_settings(backbone or BackboneSettings(), method)
    prompt_hash = None
    if not method.trains:
        prompt = find_prompt(task.prompts, options.get("prompt"), task.name)
        options["prompt"], prompt_hash = prompt.name, prompt.hash  # the default named, so both give one run id
    spec = RunSpec(
        model=model, method=method.name, task=task.name, seed=SEED.check("--seed", seed), training=training,
        method_options=options, prompt_hash=prompt_hash,
        perturb=check_perturb_spec(perturb, task) if perturb else None,
        variant=_check_variant(variant, method) if variant else None,
        max_length=_checked("max_length", max_length) or task.max_length, train_limit=_checked("train_limit", train_limit),
        eval_limit=_checked("eval_limit", eval_limit), pooling=pooling, fold=_checked("fold", fold),
        init_seed=_checked("init_seed", init_seed), student_layers=_checked("student_layers", student_layers),
        distill=distill, remedy=remedy, attack=attack, prompt_spread=prompt_spread,
        quantize_base=backbone.quantize_base, gradient_checkpointing=backbone.gradient_checkpointing or None,
        attention=backbone.attention,
    )
    check_bounds(spec)
    if spec.fold is not None and not 0 <= spec.fold < len(task.folds):
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
    """A training option as its declared kind. Sweep files hand over what YAML read: `1e-3` is a
    string there (YAML floats need a dot), `five` is a mistake."""
    if name in RANGES:
        return RANGES[name].check(flag(name), value)
    if isinstance(value, bool):  # the one training option that is not a number
        return value
    raise HarnessError(f"{flag(name)} {value!r}: expected true or false (training option {name}, "
                       f"default {TRAINING_DEFAULTS[name]})")


def _checked(name: str, value: Any) -> Any:
    return None if value is None else RANGES[name].check(flag(name), value)


def flag(name: str) -> str:
    return f"--{name.replace('_', '-')}"


def check_bounds(spec: RunSpec) -> None:
    """Every numeric setting of the spec within its declared range (a spec from the API or a record)."""
    values = {**spec.training, "seed": spec.seed, "max_length": spec.max_length, "train_limit": spec.train_limit,
              "eval_limit": spec.eval_limit, "fold": spec.fold, "init_seed": spec.init_seed,
              "student_layers": spec.student_layers}
    for name, value in values.items():
        if name in RANGES and value is not None:
            RANGES[name].check(flag(name), value)
    if spec.distill is not None:  # a distilled run's numbers (harness.distill.settings resolves them)
        DISTILL_ALPHA.check("--distill-alpha", spec.distill.get("alpha"))
        if "temperature" in spec.distill:
            TEMPERATURE.check("--distill-temperature", spec.distill["temperature"])
        if spec.distill.get("unlabeled_limit") is not None:
            EXAMPLES.check("--distill-unlabeled-limit", spec.distill["unlabeled_limit"])
    if spec.remedy is not None:
        from harness.remedy.settings import check_bounds as check_remedy

        check_remedy(spec.remedy)
    if spec.attack is not None:
        from harness.attack.settings import check_bounds as check_attack

        check_attack(spec.attack)
