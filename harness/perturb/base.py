"""What every perturbation is: a name, a language, a checked severity and a seeded `perturb`.

Severity is the share of a perturbation's *units* it changes: words for typos, punctuation
marks for punctuation removal, gaps between words for filler words, entities for entity
swaps, Chinese characters for homophones... Every builtin takes 0 < severity <= 1; each
says its unit (`unit`) and its default (`default_severity`). The units a perturbation
could change in a text are counted by `eligible_units`; it changes round(severity * that)
of them, rounding up or down at random so the expected share is exactly the severity.

Randomness comes only from the `random.Random` handed to `perturb`, seeded by
`make_rng(example_id, seed, name)` from a SHA-256 of the three (never Python's `hash()`,
which changes between processes): a rerun perturbs identically, another seed differently.

Token classification (NER): a perturbation is NER-safe when `perturb_words(words, tags, rng)`
returns words and tags that still line up, one IOB2 tag name per word. Those that cannot
(they merge or split words, or change only whitespace) set `ner_safe = False` and say why
in `not_ner_safe_because`; the registry never offers them for NER.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Sequence
from typing import ClassVar

from harness.errors import HarnessError
from harness.tasks import kinds
from harness.tasks.example import Example

LANGUAGES = ("en", "zh")
# English words: runs of letters, with apostrophes inside ("don't"); digits are not words.
WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
# A token of a tagged sentence that has at least one letter ("U.S.", "all-rounder", "EU").
TOKEN_WITH_LETTER_RE = re.compile(r"\S*[^\W\d_]\S*")
# One Chinese (CJK unified) character.
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def make_rng(example_id: str, seed: int, name: str) -> random.Random:
    """The RNG for one example under one perturbation and seed; stable across processes."""
    digest = hashlib.sha256(f"{name}\x1f{seed}\x1f{example_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def choose(rng: random.Random, n: int, share: float) -> list[int]:
    """Sorted indices of share * n of n units; the fraction is rounded up with its probability."""
    exact = share * n
    k = int(exact)
    if rng.random() < exact - k:
        k += 1
    return sorted(rng.sample(range(n), min(k, n)))


def match_case(model: str, word: str) -> str:
    """`word` written in the case pattern of `model`: UPPER, Title or lower."""
    if len(model) > 1 and model.isupper():
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class Perturbation:
    """One way of making input messy. Subclass it, set the class attributes, write `perturb`.

    NER-safe subclasses also write `perturb_words`; subclasses that need the task's
    training split (entity swaps) set `needs_training_data` and write `prepare`.
    """

    name: ClassVar[str] = ""
    language: ClassVar[str] = ""  # "en" or "zh"
    description: ClassVar[str] = ""
    source: ClassVar[str] = ""  # where its data comes from (a package, a list written for the project)
    unit: ClassVar[str] = "words"  # what severity is a share of
    default_severity: ClassVar[float] = 1.0
    ner_safe: ClassVar[bool] = False  # True: perturb_words keeps one tag per word
    not_ner_safe_because: ClassVar[str] = ""
    needs_tags: ClassVar[bool] = False  # True: only for token classification (entity swaps)
    needs_training_data: ClassVar[bool] = False
    # a kind of noise ("typos", "case", ...): `--augment typos` names them all, and robustness reports
    # split perturbations seen in training from those held out by name
    family: ClassVar[str] = ""
    in_all: ClassVar[bool] = True  # False: only when named, never through "all" (augmentations that may change meaning)
    why_not_in_all: ClassVar[str] = ""

    def __init__(self, severity: float | None = None) -> None:
        self.severity = check_severity(type(self), self.default_severity if severity is None else severity)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(severity={self.severity})"

    def perturb(self, text: str, rng: random.Random) -> str:
        """The perturbed text; every random choice comes from `rng`."""
        raise NotImplementedError

    def perturb_words(self, words: list[str], tags: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
        """Perturbed words and their IOB2 tag names, still one tag per word (NER-safe ones only)."""
        raise HarnessError(f"perturbation {self.name} cannot keep NER tags aligned: {self.not_ner_safe_because}")

    def eligible_units(self, text: str) -> int:
        """How many units of `text` this perturbation could change (severity is a share of them)."""
        raise NotImplementedError

    def prepare(self, train: Sequence[Example], labels: Sequence[str]) -> None:
        """Learn what it needs from the training split (only when `needs_training_data`)."""

    @classmethod
    def why_not(cls, kind: str) -> str | None:
        """None when this perturbation serves tasks of `kind`, else the reason it does not."""
        if kind == kinds.TOKEN_CLASSIFICATION and not cls.ner_safe:
            return f"it cannot keep NER tags aligned ({cls.not_ner_safe_because})"
        if kind != kinds.TOKEN_CLASSIFICATION and cls.needs_tags:
            return "it swaps tagged entities, so it applies to token_classification tasks only"
        return None


def check_severity(cls: type[Perturbation], value: object) -> float:
    """`value` as a float in (0, 1]; a HarnessError that says the range otherwise."""
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if number is None or not math.isfinite(number) or not 0 < number <= 1:
        raise HarnessError(f"severity {value!r} of perturbation {cls.name} is out of range: use a number "
                           f"in (0, 1], the share of {cls.unit} it changes (default {cls.default_severity})")
    return float(number)


class WordPerturbation(Perturbation):
    """Changes chosen units one at a time, in place, so a tagged sentence keeps its length.

    In text, the units are the matches of `unit_pattern` (English words, Chinese characters);
    in a tagged sentence, the words that fully match `word_pattern`. Subclasses write
    `eligible(unit)` (can it change?) and `change(unit, rng)`, which returns a different,
    non-empty unit without whitespace. Tags never change.
    """

    ner_safe = True
    unit_pattern: ClassVar[re.Pattern[str]] = WORD_RE
    word_pattern: ClassVar[re.Pattern[str]] = TOKEN_WITH_LETTER_RE

    def eligible(self, unit: str) -> bool:
        return True

    def change(self, unit: str, rng: random.Random) -> str:
        raise NotImplementedError

    def _units(self, text: str) -> list[re.Match[str]]:
        return [m for m in self.unit_pattern.finditer(text) if self.eligible(m.group())]

    def eligible_units(self, text: str) -> int:
        return len(self._units(text))

    def perturb(self, text: str, rng: random.Random) -> str:
        units = self._units(text)
        pieces, last = [], 0
        for i in choose(rng, len(units), self.severity):
            match = units[i]
            pieces += [text[last:match.start()], self.change(match.group(), rng)]
            last = match.end()
        return "".join(pieces) + text[last:]

    def perturb_words(self, words: list[str], tags: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
        positions = [i for i, w in enumerate(words) if self.word_pattern.fullmatch(w) and self.eligible(w)]
        new = list(words)
        for i in (positions[j] for j in choose(rng, len(positions), self.severity)):
            new[i] = self.change(words[i], rng)
        return new, list(tags)
