"""Attacks by name: the built-ins plus plugins (entry point group "harness.attacks", or `register`)."""

from __future__ import annotations

import inspect

from harness.attack import builtin
from harness.attack.base import Attack
from harness.errors import HarnessError
from harness.perturb.base import LANGUAGES
from harness.registry import Registry
from harness.tasks import kinds

ENTRY_POINT_GROUP = "harness.attacks"


def _check(attack: Attack) -> None:
    """What the search relies on in an attack, checked before it is registered."""
    if not isinstance(attack, Attack):
        raise HarnessError(f"cannot register {attack!r} as an attack: it is not an instance of "
                           "harness.attack.Attack")
    where = f"attack {type(attack).__module__}.{type(attack).__qualname__}"
    if not attack.name or not attack.name.replace("_", "").isalnum():
        raise HarnessError(f"{where} needs a `name` of letters, digits and underscores")
    if attack.language not in LANGUAGES:
        raise HarnessError(f"{where} has language {attack.language!r}; use one of {', '.join(LANGUAGES)}")
    unknown = [kind for kind in attack.kinds if kind not in kinds.KINDS or kind == kinds.REGRESSION]
    if unknown or not attack.kinds:
        raise HarnessError(f"{where} names task kinds {list(attack.kinds)}; an attack needs a gold label to flip: "
                           f"use {', '.join(k for k in kinds.KINDS if k != kinds.REGRESSION)}")
    for method in ("eligible", "candidates"):
        if getattr(type(attack), method) is getattr(Attack, method):
            raise HarnessError(f"{where} has no `{method}`; write it")


ATTACKS: Registry[Attack] = Registry("attack", ENTRY_POINT_GROUP, check=_check, listing="ATTACKS")
for _cls in (builtin.WordSubstitution, builtin.CharacterEdits, builtin.ChineseCharacters, builtin.NerAttack):
    ATTACKS.register(_cls())


def register(attack: Attack | type[Attack]) -> Attack:
    """Add an attack (an instance, or a class, which is instantiated; usable as a class decorator)."""
    return ATTACKS.register(attack() if inspect.isclass(attack) else attack)


def get(name: str) -> Attack:
    return ATTACKS.get(name)


def names() -> list[str]:
    return ATTACKS.names()
