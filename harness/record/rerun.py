"""The `harness run` command line that repeats a recorded run: what an error tells a user to type."""

from __future__ import annotations

from typing import Any

from harness.methods import option_flag
from harness.spec import TRAINING_DEFAULTS, flag

_TOP_LEVEL = ("max_length", "train_limit", "eval_limit", "pooling", "fold", "init_seed", "perturb", "variant",
              "student_layers")
# the spec's distill entry -> its flags (a file of transfer data is named as it was given)
_DISTILL = {"teacher": "--distill-from", "alpha": "--distill-alpha", "temperature": "--distill-temperature",
            "unlabeled": "--distill-unlabeled", "unlabeled_limit": "--distill-unlabeled-limit",
            "hidden": "--distill-hidden"}


def rerun_command(spec: dict[str, Any], *extra: str) -> str:
    """'harness run --model minilm --method lora --task sst2 --seed 0 --train-limit 4000 ...': every setting that
    is not a default (given explicitly, a default changes nothing: the run id stays the same)."""
    words = ["harness", "run", "--model", str(spec["model"]), "--method", str(spec["method"]),
             "--task", str(spec["task"]), "--seed", str(spec["seed"])]
    for name in _TOP_LEVEL:
        if spec.get(name) is not None:
            words += [flag(name), str(spec[name])]
    for name, value in (spec.get("training") or {}).items():
        if name in TRAINING_DEFAULTS and value != TRAINING_DEFAULTS[name]:
            words += [f"--no-{flag(name)[2:]}"] if value is False else [flag(name), str(value)]
    for name, value in (spec.get("method_options") or {}).items():
        if not isinstance(value, (dict, list)):
            words += [option_flag(spec["method"], name), str(value)]
    for name, value in (spec.get("distill") or {}).items():
        if name in _DISTILL:
            words += [_DISTILL[name], str(value)]
    words += remedy_flags(spec.get("remedy"))
    return " ".join([*words, *extra])


def remedy_flags(remedy: dict[str, Any] | None) -> list[str]:
    """The flags that ask for a spec's `remedy` entry (harness.remedy), every setting spelled out."""
    augment, adversarial = (remedy or {}).get("augment") or {}, (remedy or {}).get("adversarial") or {}
    words: list[str] = []
    if augment:
        if augment.get("perturbations"):
            words += ["--augment", augment["perturbations"]]
        words += ["--augment-prob", str(augment["prob"]), "--augment-copies", str(augment["copies"])]
        if augment.get("file"):
            words += ["--augment-file", augment["file"]["path"]]
    if adversarial:
        words += ["--adversarial", adversarial["kind"]]
        words += [word for name in ("epsilon", "steps", "alpha") if name in adversarial
                  for word in (f"--adv-{name}", str(adversarial[name]))]
    return words
