"""Perturbations by name: the builtins plus plugins.

Plugins come from two places, neither of which needs an edit to the harness:
- installed packages exposing the entry point group "harness.perturbations"; an entry
  point names a Perturbation subclass, a list of them, or a module (read like below);
- a module the user names: `load_plugins("my_module")` imports it; the module either calls
  `register(MyPerturbation)` itself or lists its classes in `PERTURBATIONS`.

`resolve("keyboard_typos,lowercase:0.5", kind=..., language=...)` turns a user's spec into ready
perturbations; "all" means every one that serves the task's kind and language (except those
that are only used when named, `in_all = False`), and a family name ("typos") every one of
that family that serves it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable

from harness.errors import HarnessError, unknown_name
from harness.perturb import chinese, eda, english, entities
from harness.perturb.base import LANGUAGES, Perturbation, check_severity
from harness.registry import Registry
from harness.tasks import kinds

ENTRY_POINT_GROUP = "harness.perturbations"


def _check(cls: type[Perturbation]) -> None:
    """What the harness relies on in a perturbation class, checked before it is registered."""
    if not (inspect.isclass(cls) and issubclass(cls, Perturbation)):
        raise HarnessError(f"cannot register {cls!r} as a perturbation: it is not a subclass of "
                           "harness.perturb.Perturbation")
    where = f"perturbation class {cls.__module__}.{cls.__qualname__}"
    if not cls.name or not cls.name.replace("_", "").isalnum():
        raise HarnessError(f"{where} needs a `name` of letters, digits and underscores")
    if cls.language not in LANGUAGES:
        raise HarnessError(f"{where} has language {cls.language!r}; use one of {', '.join(LANGUAGES)}")
    check_severity(cls, cls.default_severity)
    if cls.ner_safe and cls.perturb_words is Perturbation.perturb_words:
        raise HarnessError(f"{where} says ner_safe = True but has no perturb_words(words, tags, rng)")
    if not cls.ner_safe and not cls.not_ner_safe_because:
        raise HarnessError(f"{where} is not NER-safe: say why in `not_ner_safe_because`")
    if cls.family and not cls.family.replace("_", "").isalnum():
        raise HarnessError(f"{where} has family {cls.family!r}: use letters, digits and underscores")
    if not cls.in_all and not cls.why_not_in_all:
        raise HarnessError(f"{where} says in_all = False: say why in `why_not_in_all`")


# Perturbation classes by name; a module hands over its classes by listing them in PERTURBATIONS.
PERTURBATIONS: Registry[type[Perturbation]] = Registry("perturbation", ENTRY_POINT_GROUP, check=_check,
                                                       listing="PERTURBATIONS")


def register(cls: type[Perturbation]) -> type[Perturbation]:
    """Add a perturbation class (usable as a decorator); checks what the harness relies on."""
    return PERTURBATIONS.register(cls)


def load_plugins(*modules: str) -> list[str]:
    """Import user modules by dotted name; the names of the perturbations they registered."""
    names: list[str] = []
    for module_name in modules:
        before = set(PERTURBATIONS.names())
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise HarnessError(f"cannot import perturbation plugin module '{module_name}': {error}; "
                               "put its folder on PYTHONPATH or install it") from None
        names += PERTURBATIONS.register_found(module)
        names += sorted(set(PERTURBATIONS.names()) - before - set(names))
    return names


def load_entry_points() -> list[str]:
    """Register the perturbations installed packages expose under ENTRY_POINT_GROUP (once)."""
    return PERTURBATIONS.load_entry_points()


def names() -> list[str]:
    """Every registered perturbation name, sorted."""
    return sorted(PERTURBATIONS.names())


def get(name: str) -> type[Perturbation]:
    """The class registered under `name`; HarnessError listing the valid names otherwise."""
    return PERTURBATIONS.get(name)


def create(name: str, severity: float | None = None) -> Perturbation:
    """An instance of the perturbation `name` (default severity unless given)."""
    return get(name)(severity)


def available(kind: str | None = None, language: str | None = None, *, in_all: bool = False) -> list[str]:
    """Names of the perturbations for a task kind and language (None: any); `in_all`: only those "all" means."""
    return [name for name, cls in sorted(PERTURBATIONS.all().items())
            if (language is None or cls.language == language) and (kind is None or cls.why_not(kind) is None)
            and (cls.in_all or not in_all)]


def family_members(family: str, kind: str | None = None, language: str | None = None) -> list[str]:
    """Names of the perturbations of `family` for a task kind and language (None: any)."""
    return [name for name in available(kind, language) if get(name).family == family]


def families() -> list[str]:
    """Every family name of a registered perturbation, sorted."""
    return sorted({cls.family for cls in PERTURBATIONS.all().values() if cls.family})


def _parse(item: str) -> tuple[str, float | None]:
    """'typos' or 'typos:0.3' -> name and severity."""
    name, _, written = item.strip().partition(":")
    if not written:
        return name.strip(), None
    try:
        return name.strip(), float(written)
    except ValueError:
        raise HarnessError(f"severity '{written}' in '{item.strip()}' is not a number; write NAME or NAME:SEVERITY "
                           "(e.g. keyboard_typos:0.3)") from None


def resolve(spec: str | Iterable[str], *, kind: str, language: str) -> list[Perturbation]:
    """Perturbations for a task: 'all', or names (comma-separated or a list), each NAME or NAME:SEVERITY.

    A name that does not fit the task is an error saying why: an English perturbation on a
    Chinese task, or one that cannot keep NER tags aligned on a token classification task.
    """
    if kind not in kinds.KINDS:
        raise unknown_name("task kind", kind, kinds.KINDS)
    if language not in LANGUAGES:
        raise unknown_name("language", language, LANGUAGES)
    items = [s for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    if not items:
        raise HarnessError("no perturbation named; give names separated by commas, or all")
    chosen: list[Perturbation] = []
    for item in items:
        name, severity = _parse(item)
        if name == "all" or (name in families() and name not in PERTURBATIONS.names()):
            found = available(kind, language, in_all=True) if name == "all" else family_members(name, kind, language)
            if not found:
                raise HarnessError(f"no perturbation of family {name} serves {kind} tasks in language '{language}'; "
                                   f"choose from: {', '.join(available(kind, language))}")
            chosen += [create(n, severity) for n in found]
            continue
        cls = get(name)
        if cls.language != language:
            raise HarnessError(f"perturbation {name} is for language '{cls.language}', the task's is '{language}'; "
                               f"choose from: {', '.join(available(kind, language))}")
        reason = cls.why_not(kind)
        if reason is not None:
            raise HarnessError(f"perturbation {name} does not apply to {kind} tasks: {reason}; "
                               f"choose from: {', '.join(available(kind, language))}")
        chosen.append(create(name, severity))
    return list({p.name: p for p in chosen}.values())  # a name given twice counts once, the last wins


for _module in (english, chinese, entities, eda):
    PERTURBATIONS.register_found(_module)
