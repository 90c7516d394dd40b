"""Adversarial attacks in evaluation: search, per example, for the smallest meaning-preserving edit that flips
the model, instead of drawing random noise (harness.perturb).

    from harness.attack import evaluate_attacks
    report, rows = evaluate_attacks(task, {"attacks": "word,char", "budget": 100, "max_share": 0.25}, seed,
                                    examples, clean_output, predict, split="validation")

Built-ins: `word` (TextFooler-style substitution), `char` (DeepWordBug-style typos), `zh_char`
(Chinese homophones and look-alikes), `ner` (entity typos and context substitutes, tags kept).
The search (harness/attack/search.py) is shared; an attack only says which units it may change
and into what. Adding one (a plugin; no edit to the harness):

    from harness.attack import Attack, register

    @register
    class Shout(Attack):
        name, description = "shout", "words in capitals"
        unit_pattern = WORD_RE                       # harness.perturb.base.WORD_RE
        def eligible(self, document, i): return not document.units[i].isupper()
        def candidates(self, document, i, rng): return [document.units[i].upper()]

or expose it under the entry point group "harness.attacks" (an instance, a class or a list).
"""

from harness.attack.base import ATTACK_FIELD, Attack, Document
from harness.attack.evaluate import evaluate_attacks, outcomes
from harness.attack.registry import ATTACKS, get, names, register
from harness.attack.search import Attacked, Outcome, greedy_search, run_searches
from harness.attack.settings import (
           AttackRequest,
           attack_entry,
           check_attack_names,
           describe,
)

__all__ = ["ATTACKS", "ATTACK_FIELD", "Attack", "AttackRequest", "Attacked", "Document", "Outcome", "attack_entry",
           "check_attack_names", "describe", "evaluate_attacks", "get", "greedy_search", "names", "outcomes",
           "register", "run_searches"]
