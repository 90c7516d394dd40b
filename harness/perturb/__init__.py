"""Perturbations: realistically messy copies of evaluation data, for robustness scores.

    from harness.perturb import resolve, perturb_examples
    for p in resolve("all", kind=task.kind, language="en"):     # or "keyboard_typos:0.3,lowercase"
        messy = perturb_examples(examples, p, seed=1, labels=task.labels, train=train_examples)

Each perturbation has a `name`, a `language` ("en" or "zh"), a `severity` in (0, 1] (the
share of its units it changes: words, characters, punctuation marks, entities; see its
`unit` and `default_severity`) and a `perturb(text, rng)` whose only randomness is the RNG
seeded by (example id, seed, name): a rerun perturbs identically. NER-safe ones also have
`perturb_words(words, tags, rng)` that keeps one IOB2 tag per word; the others are never
offered for token classification. Each module's docstring says where its data comes from.

Adding a perturbation (a plugin; no edit to the harness):

    # my_perturbations.py
    from harness.perturb import Perturbation, WordPerturbation, register

    @register
    class Shout(WordPerturbation):           # WordPerturbation: changes words in place, NER-safe
        name, language, default_severity = "shout", "en", 0.5
        description = "words in capitals"
        def eligible(self, unit): return unit != unit.upper()
        def change(self, unit, rng): return unit.upper()

A plain `Perturbation` subclass writes `perturb(text, rng)` and `eligible_units(text)`, and
either `perturb_words` with `ner_safe = True` or `not_ner_safe_because = "..."`. Then
either `load_plugins("my_perturbations")` (the module calls `register` or lists its classes
in `PERTURBATIONS`), or, from an installed package, an entry point in the group
"harness.perturbations":

    [project.entry-points."harness.perturbations"]
    shout = "my_perturbations:Shout"          # a class, a list of classes, or a module
"""

from harness.perturb.apply import (
    PERTURBATION_FIELD,
    guess_language,
    perturb_example,
    perturb_examples,
    worst_case_correct,
)
from harness.perturb.base import Perturbation, WordPerturbation, check_severity, choose, make_rng
from harness.perturb.entities import entity_pool, entity_spans
from harness.perturb.registry import (
    ENTRY_POINT_GROUP,
    PERTURBATIONS,
    available,
    create,
    get,
    load_entry_points,
    load_plugins,
    names,
    register,
    resolve,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "PERTURBATION_FIELD",
    "PERTURBATIONS",
    "Perturbation",
    "WordPerturbation",
    "available",
    "check_severity",
    "choose",
    "create",
    "entity_pool",
    "entity_spans",
    "get",
    "guess_language",
    "load_entry_points",
    "load_plugins",
    "make_rng",
    "names",
    "perturb_example",
    "perturb_examples",
    "register",
    "resolve",
    "worst_case_correct",
]
