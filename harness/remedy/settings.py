"""A run's training remedies for robustness: what the user asked for, checked, and the spec entry it becomes.

    entry = remedy_entry(RemedyRequest(augment="typos", adversarial="fgm"), task, trains=True)
    # {"augment": {"perturbations": "typos", "prob": 0.5, "copies": 0},
    #  "adversarial": {"kind": "fgm", "epsilon": 1.0}}: part of the spec, so of the run id

Every number is checked against its declared range (harness/ranges.py) and every name against the
task here, before anything loads, so bad input costs nothing and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, unknown_name
from harness.ranges import (
    ADV_ALPHA,
    ADV_EPSILON,
    ADV_STEPS,
    AUGMENT_COPIES,
    AUGMENT_PROB,
)
from harness.tasks import TaskDef

DEFAULT_PROB = 0.5
DEFAULT_COPIES = 0
# Per adversary: its defaults, and which of epsilon, steps and alpha it uses. Norms are per example, over
# every token's embedding (padding excluded).
ADVERSARIES: dict[str, dict[str, float | int]] = {
    "fgm": {"epsilon": 1.0},  # one step of norm epsilon along the gradient (Miyato et al. 2017)
    "pgd": {"epsilon": 1.0, "steps": 3, "alpha": 0.3},  # steps of norm alpha, kept in the epsilon ball (Madry et al.)
    "freelb": {"epsilon": 1.0, "steps": 3, "alpha": 0.3},  # the mean gradient over the ascent (Zhu et al. 2020)
}
_RANGES = {"epsilon": ("--adv-epsilon", ADV_EPSILON), "steps": ("--adv-steps", ADV_STEPS),
           "alpha": ("--adv-alpha", ADV_ALPHA)}


@dataclass(frozen=True)
class RemedyRequest:
    """What the user asked for (flags, a sweep file or the API), before checking."""

    augment: str | None = None
    augment_prob: float | None = None
    augment_copies: int | None = None
    augment_file: str | None = None
    adversarial: str | None = None
    adv_epsilon: float | None = None
    adv_steps: int | None = None
    adv_alpha: float | None = None

    def given(self) -> list[str]:
        return [f"--{f.name.replace('_', '-')}" for f in fields(self) if getattr(self, f.name) is not None]

    def any(self) -> bool:
        return bool(self.given())


def remedy_entry(request: RemedyRequest, task: TaskDef, *, trains: bool, method: str) -> dict[str, Any] | None:
    """The spec's `remedy` entry (None when nothing is asked); HarnessError naming the first wrong option."""
    if not request.any():
        return None
    if not trains:
        raise HarnessError(f"{request.given()[0]} changes training, and --method {method} trains nothing; use a "
                           "method that trains (full, lora, ...)")
    entry: dict[str, Any] = {}
    augment = _augment(request, task)
    if augment:
        entry["augment"] = augment
    adversarial = _adversarial(request, method)
    if adversarial:
        entry["adversarial"] = adversarial
    return entry


def _augment(request: RemedyRequest, task: TaskDef) -> dict[str, Any] | None:
    if request.augment is None and request.augment_file is None:
        stray = [flag for flag, value in (("--augment-prob", request.augment_prob),
                                          ("--augment-copies", request.augment_copies)) if value is not None]
        if stray:
            raise HarnessError(f"{stray[0]} needs --augment NAME,... (or --augment-file PATH): say which "
                               "perturbations augment the training examples")
        return None
    from harness.robustness.perturbed import check_perturb_spec

    entry: dict[str, Any] = {}
    if request.augment is not None:
        entry["perturbations"] = check_perturb_spec(request.augment, task, flag="--augment")
    entry["prob"] = AUGMENT_PROB.check("--augment-prob", DEFAULT_PROB if request.augment_prob is None
                                       else request.augment_prob)
    entry["copies"] = AUGMENT_COPIES.check("--augment-copies", DEFAULT_COPIES if request.augment_copies is None
                                           else request.augment_copies)
    if entry["prob"] == 0 and entry["copies"] == 0:
        raise HarnessError("--augment-prob 0 with --augment-copies 0 perturbs no training example; raise either")
    if request.augment_file is not None:
        from harness.remedy.paraphrases import check_paraphrase_file

        entry["file"] = check_paraphrase_file(Path(request.augment_file), task)
    return entry


def _adversarial(request: RemedyRequest, method: str) -> dict[str, Any] | None:
    if request.adversarial is None:
        stray = [flag for flag, value in (("--adv-epsilon", request.adv_epsilon), ("--adv-steps", request.adv_steps),
                                          ("--adv-alpha", request.adv_alpha)) if value is not None]
        if stray:
            raise HarnessError(f"{stray[0]} needs --adversarial {'|'.join(ADVERSARIES)}")
        return None
    kind = request.adversarial.strip().lower()
    if kind not in ADVERSARIES:
        raise unknown_name("--adversarial", request.adversarial, list(ADVERSARIES))
    from harness.remedy.embeddings import check_reachable

    check_reachable(method)
    defaults = ADVERSARIES[kind]
    entry: dict[str, Any] = {"kind": kind}
    for name, (flag, declared) in _RANGES.items():
        given = getattr(request, f"adv_{name}")
        if name not in defaults:
            if given is not None:
                raise HarnessError(f"{flag} does not apply to --adversarial {kind} (it takes "
                                   f"{', '.join('--adv-' + n for n in defaults)}); drop it")
            continue
        entry[name] = declared.check(flag, defaults[name] if given is None else given)
    return entry


def check_bounds(entry: dict[str, Any]) -> None:
    """A recorded or API-given `remedy` entry's numbers within their declared ranges."""
    augment, adversarial = entry.get("augment") or {}, entry.get("adversarial") or {}
    if augment:
        AUGMENT_PROB.check("--augment-prob", augment.get("prob"))
        AUGMENT_COPIES.check("--augment-copies", augment.get("copies"))
    for name, (flag, declared) in _RANGES.items():
        if name in adversarial:
            declared.check(flag, adversarial[name])


def describe(entry: dict[str, Any] | None) -> str:
    """A short name for a spec's remedy entry: 'none', 'augment typos', 'fgm', 'augment typos + freelb eps 0.5'."""
    if not entry:
        return "none"
    parts = []
    augment, adversarial = entry.get("augment") or {}, entry.get("adversarial") or {}
    if augment:
        what = augment.get("perturbations") or "paraphrases"
        if augment.get("perturbations") and augment.get("file"):
            what += " + paraphrases"
        extra = [f"p {augment['prob']:g}"] if augment.get("prob") != DEFAULT_PROB else []
        copies = augment.get("copies") or 0
        extra += [f"{copies} cop{'y' if copies == 1 else 'ies'}"] if copies else []
        parts.append(f"augment {what}" + (f" ({', '.join(extra)})" if extra else ""))
    if adversarial:
        kind = adversarial["kind"]
        changed = [f"{name} {adversarial[name]:g}" for name, default in ADVERSARIES[kind].items()
                   if adversarial.get(name) != default]
        parts.append(kind + (f" ({', '.join(changed)})" if changed else ""))
    return " + ".join(parts)


def parse_remedies(text: str, base: RemedyRequest | None = None) -> list[RemedyRequest]:
    """`harness compare --remedies none,augment:typos,fgm,freelb`: one request per item, the numeric flags of
    `base` (--augment-prob, --adv-epsilon, ...) applied to the items they concern. Inside an item, '+' joins
    perturbation names (augment:keyboard_typos+lowercase)."""
    base = base or RemedyRequest()
    if base.augment is not None or base.adversarial is not None:
        raise HarnessError("--remedies names the remedies to compare; drop --augment/--adversarial and list them "
                           "there (e.g. --remedies none,augment:typos,fgm)")
    augment_flags = {"augment_prob": base.augment_prob, "augment_copies": base.augment_copies}
    adversarial_flags = {"adv_epsilon": base.adv_epsilon, "adv_steps": base.adv_steps, "adv_alpha": base.adv_alpha}
    requests: list[RemedyRequest] = []
    for item in [part.strip() for part in text.split(",") if part.strip()]:
        name, _, argument = item.partition(":")
        if name == "none" and not argument:
            requests.append(RemedyRequest())
        elif name == "augment" and (argument or base.augment_file):
            requests.append(RemedyRequest(augment=argument.replace("+", ",") or None, augment_file=base.augment_file,
                                          **augment_flags))
        elif name in ADVERSARIES and not argument:
            requests.append(RemedyRequest(adversarial=name, **{k: v for k, v in adversarial_flags.items()
                                                               if k[4:] in ADVERSARIES[name]}))
        else:
            raise HarnessError(f"--remedies item '{item}' is not a remedy; use none, augment:NAME+NAME (perturbation "
                               f"names or a family such as typos), or one of {', '.join(ADVERSARIES)}")
    if not requests:
        raise HarnessError("--remedies names no remedy; e.g. --remedies none,augment:typos,fgm,freelb")
    if len(set(requests)) < len(requests):
        raise HarnessError("--remedies names a remedy twice; list each once")
    return requests
