"""What an attack is: which units of an example it may change, and what it may change each into.

An attack sees an example as a `Document`: the units of its attacked text (English words,
Chinese characters, or the words of a tagged sentence) that the search may replace or,
to rank them by importance, delete. The attack says which units are eligible (its
constraints: stop words, names, entity words unless it targets them) and, per unit, the
candidates to try, drawn with an RNG seeded by (example id, seed, attack, unit position),
so a search repeats exactly. The search itself (harness/attack/search.py) is shared.

Text pairs (RTE, MRPC...): the second text is attacked, the first kept, as TextFooler
attacks the hypothesis of an entailment pair.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Sequence
from typing import ClassVar

from harness.perturb.apply import PERTURBATION_FIELD
from harness.perturb.base import make_rng
from harness.tasks import Example, kinds

ATTACK_FIELD = "attack"


class Document:
    """The attackable units of one example and how to write it back with some of them replaced or one deleted."""

    def __init__(self, example: Example, pattern: re.Pattern[str], labels: Sequence[str] = ()) -> None:
        self.example = example
        if example.words is not None:  # token classification: a unit is a word, its tag stays with it
            self.field = "words"
            self.units = list(example.words)
            self.tags = [labels[t] for t in example.tags]
            self.spans: list[tuple[int, int]] = []
        else:
            self.field = "text_pair" if example.text_pair is not None else "text"
            self.text: str = getattr(example, self.field)
            self.spans = [m.span() for m in pattern.finditer(self.text)]
            self.units = [self.text[a:b] for a, b in self.spans]
            self.tags = []

    def __len__(self) -> int:
        return len(self.units)

    def written(self, replaced: dict[int, str], deleted: int | None = None) -> Example:
        """The example with units replaced (position -> new unit) and at most one deleted."""
        fields = {**self.example.fields, ATTACK_FIELD: True, PERTURBATION_FIELD: "attack"}
        if self.field == "words":
            keep = [i for i in range(len(self.units)) if i != deleted]
            words = tuple(replaced.get(i, self.units[i]) for i in keep)
            return dataclasses.replace(self.example, words=words, tags=tuple(self.example.tags[i] for i in keep),
                                       fields=fields)
        pieces, last = [], 0
        for i, (start, end) in enumerate(self.spans):
            if i == deleted:  # the unit goes with one space beside it, so no double space is left
                if self.text[end:end + 1] == " ":
                    end += 1
                elif self.text[start - 1:start] == " ":
                    start -= 1
                pieces.append(self.text[last:start])
            elif i in replaced:
                pieces += [self.text[last:start], replaced[i]]
            else:
                continue
            last = end
        text = "".join(pieces) + self.text[last:]
        # the raw row's column for this text follows, so a prompt naming it sees the attacked text
        for key, value in self.example.fields.items():
            if isinstance(value, str) and value.strip() == self.text:
                fields[key] = text
        return dataclasses.replace(self.example, **{self.field: text}, fields=fields)


class Attack:
    """One attack: a name, the task kinds and language it serves, its constraints and its candidates.

    Subclasses set the class attributes and write `eligible(document, i)` and
    `candidates(document, i, rng)` (replacements for unit i, each different from it and
    without whitespace).
    """

    name: ClassVar[str] = ""
    language: ClassVar[str] = "en"
    kinds: ClassVar[tuple[str, ...]] = kinds.CLASSIFICATION_KINDS
    description: ClassVar[str] = ""
    modelled_on: ClassVar[str] = ""  # the published attack it follows
    unit: ClassVar[str] = "words"
    unit_pattern: ClassVar[re.Pattern[str]] = re.compile(r"\S+")
    constraints: ClassVar[str] = ""  # what it never touches, in words a user reads in the record
    max_candidates: ClassVar[int] = 8  # per unit, so one unit cannot spend a whole budget

    def document(self, example: Example, labels: Sequence[str] = ()) -> Document:
        return Document(example, self.unit_pattern, labels)

    def eligible(self, document: Document, i: int) -> bool:
        raise NotImplementedError

    def candidates(self, document: Document, i: int, rng: random.Random) -> list[str]:
        raise NotImplementedError

    def unit_candidates(self, document: Document, i: int, seed: int) -> list[str]:
        """Unit i's candidates for this seed: distinct, different from the unit, at most `max_candidates`."""
        rng = make_rng(f"{document.example.id}\x1f{i}", seed, f"attack:{self.name}")
        original = document.units[i]
        found = [c for c in dict.fromkeys(self.candidates(document, i, rng))
                 if c and c != original and c.split() == [c]]
        return found if len(found) <= self.max_candidates else rng.sample(found, self.max_candidates)

    @classmethod
    def why_not(cls, kind: str, language: str | None) -> str | None:
        """None when the attack serves tasks of `kind` in `language` (None: not known yet), else why not."""
        if kind not in cls.kinds:
            return f"it attacks {' and '.join(k.replace('_', ' ') for k in cls.kinds)} tasks, not {kind.replace('_', ' ')}"
        if language is not None and language != cls.language:
            return f"it attacks {cls.language} text and this task's text is {language}"
        return None
