"""Which perturbations a run asked for, and the perturbed copies of a split."""

from __future__ import annotations

from collections.abc import Sequence

from harness.errors import HarnessError
from harness.perturb import guess_language, perturb_examples, resolve
from harness.perturb.registry import LANGUAGES
from harness.tasks import Example, TaskDef


def task_language(task: TaskDef, examples: Sequence[Example]) -> str:
    """The task's language: 'zh' or 'en', read off its first examples."""
    return guess_language(list(examples))


def check_perturb_spec(spec: str, task: TaskDef, flag: str = "--perturb") -> str:
    """The perturbation list checked against the task kind (names, severities) before anything loads."""
    if not isinstance(spec, str):  # from a sweep file, `perturb: 0.2` is a number
        raise HarnessError(f"{flag} {spec!r}: expected 'all' or NAME[:SEVERITY],... as text "
                           "(`harness perturb --list` lists the names)")
    spec = ",".join(part.strip() for part in spec.split(",") if part.strip())
    # languages are only known once the data is read; a name valid for either passes here
    errors = []
    for language in LANGUAGES:
        try:
            resolve(spec, kind=task.kind, language=language)
            return spec
        except HarnessError as error:
            errors.append(error)
    # a language mismatch only means the name belongs to the other language: report the real problem
    raise next((e for e in errors if "is for language" not in str(e)), errors[0])


def perturbed_splits(spec: str, task: TaskDef, examples: Sequence[Example], train: Sequence[Example],
                     seed: int) -> dict[str, tuple[float, list[Example]]]:
    """Perturbation name -> (severity, perturbed copy of `examples`), seeded per example."""
    language = task_language(task, examples)
    found = {}
    for perturbation in resolve(spec, kind=task.kind, language=language):
        found[perturbation.name] = (perturbation.severity, perturb_examples(
            examples, perturbation, seed=seed, labels=list(task.labels) or None, train=train))
    return found
