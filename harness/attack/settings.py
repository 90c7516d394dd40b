"""A run's attacks: what the user asked for, checked, and the spec entry it becomes.

    entry = attack_entry(AttackRequest(attack="word,char", budget=100), task, scorer=None)
    # {"attacks": "word,char", "budget": 100, "max_share": 0.25}: part of the spec, so of the run id

Every name is checked against the task's kind (its language once the data is read) and every
number against its declared range (harness/ranges.py) here, before anything loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.attack.registry import ATTACKS
from harness.errors import HarnessError, unknown_name
from harness.ranges import ATTACK_BUDGET, ATTACK_MAX_SHARE
from harness.tasks import TaskDef

DEFAULT_BUDGET = 100
DEFAULT_MAX_SHARE = 0.25


@dataclass(frozen=True)
class AttackRequest:
    """What the user asked for (flags, a sweep file or the API), before checking."""

    attack: str | None = None
    budget: int | None = None
    max_share: float | None = None


def attack_entry(request: AttackRequest, task: TaskDef) -> dict[str, Any] | None:
    """The spec's `attack` entry (None when no attack is asked); HarnessError naming the first wrong option."""
    if request.attack is None:
        stray = [flag for flag, value in (("--attack-budget", request.budget), ("--attack-max-share",
                                                                               request.max_share)) if value is not None]
        if stray:
            raise HarnessError(f"{stray[0]} needs --attack NAME,... (`harness attacks` lists them)")
        return None
    entry = {"attacks": check_attack_names(request.attack, task),
             "budget": ATTACK_BUDGET.check("--attack-budget", DEFAULT_BUDGET if request.budget is None
                                           else request.budget),
             "max_share": ATTACK_MAX_SHARE.check("--attack-max-share", DEFAULT_MAX_SHARE if request.max_share is None
                                                 else request.max_share)}
    return entry


def check_attack_names(text: object, task: TaskDef, language: str | None = None) -> str:
    """'word,char' checked against the registry and the task's kind (and language, when known)."""
    if not isinstance(text, str):
        raise HarnessError(f"--attack {text!r}: expected NAME[,NAME] as text (`harness attacks` lists them)")
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    if not chosen:
        raise HarnessError("--attack names no attack; e.g. --attack word,char (`harness attacks` lists them)")
    for name in chosen:
        if name not in ATTACKS:
            raise unknown_name("attack", name, ATTACKS.names())
        reason = ATTACKS.get(name).why_not(task.kind, language)
        if reason:
            fitting = [n for n, a in ATTACKS.all().items() if a.why_not(task.kind, language) is None]
            raise HarnessError(f"attack {name} does not fit task {task.name}: {reason}; use "
                               f"{', '.join(fitting) or 'no attack (none serves this task)'}")
    if len(set(chosen)) < len(chosen):
        raise HarnessError("--attack names an attack twice; list each once")
    return ",".join(chosen)


def check_attack_language(entry: dict[str, Any], task: TaskDef, splits: dict[str, Any]) -> None:
    """The entry's attacks checked against the language of the task's evaluation data (once it is read)."""
    from harness.robustness.perturbed import task_language

    for examples in splits.values():
        check_attack_names(entry["attacks"], task, task_language(task, examples))


def check_bounds(entry: dict[str, Any]) -> None:
    """A recorded or API-given `attack` entry's numbers within their declared ranges."""
    ATTACK_BUDGET.check("--attack-budget", entry.get("budget"))
    ATTACK_MAX_SHARE.check("--attack-max-share", entry.get("max_share"))


def describe(entry: dict[str, Any] | None) -> str:
    """'word,char (budget 100, share 0.25)' or 'none'."""
    if not entry:
        return "none"
    return f"{entry['attacks']} (budget {entry['budget']}, share {entry['max_share']:g})"
