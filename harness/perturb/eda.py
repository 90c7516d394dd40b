"""The classic text augmentations (EDA, Wei and Zou 2019): random word deletion, swap and insertion.

They exist to train on (`--augment`), not to measure with: deleting "not" or swapping two words
can change what a sentence means, so they stay out of `all` (`in_all = False`) and are only used
when named. Synonym replacement is `synonyms` (english.py).

Text: words are whitespace-separated tokens, written back with single spaces. NER: only words
tagged O are deleted or swapped (with each other), and an inserted word goes in with tag O and
never inside an entity, so every word keeps its tag.

Chinese (zh_char_swap): two characters of a text trade places. Not NER-safe: on character-tagged
text the tags would have to move with them inside entities.
"""

from __future__ import annotations

import random

from harness.perturb import wordlists
from harness.perturb.base import CJK_RE, Perturbation, choose

_AUGMENTATION_ONLY = "an augmentation: it may change what a sentence means"


def _swapped(items: list, positions: list[int], severity: float, rng: random.Random) -> list:
    """`items` with a `severity` share of `positions` moved: the chosen ones trade places in random pairs (an odd
    one out trades with a position not chosen), so each chosen item moves once."""
    new = list(items)
    if len(positions) < 2:
        return new
    chosen = [positions[j] for j in choose(rng, len(positions), severity)]
    rng.shuffle(chosen)
    if len(chosen) % 2:
        others = [p for p in positions if p not in chosen]
        chosen.append(rng.choice(others) if others else chosen.pop())
    for i, k in zip(chosen[::2], chosen[1::2]):
        new[i], new[k] = new[k], new[i]
    return new


class _WordEdit(Perturbation):
    language, source, unit, family = "en", "no data", "words", "word_edits"
    ner_safe, in_all = True, False
    why_not_in_all = _AUGMENTATION_ONLY

    def eligible_units(self, text: str) -> int:
        return len(text.split())

    def perturb(self, text: str, rng: random.Random) -> str:
        words = text.split()
        new, _ = self.perturb_words(words, ["O"] * len(words), rng)
        return " ".join(new)


class WordDelete(_WordEdit):
    name, default_severity = "word_delete", 0.1
    description = "words deleted at random (never every word; on NER only words tagged O)"

    def perturb_words(self, words: list[str], tags: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
        outside = [i for i, tag in enumerate(tags) if tag == "O"]
        dropped = {outside[j] for j in choose(rng, len(outside), self.severity)}
        if len(dropped) == len(words):  # a sentence keeps at least one word
            dropped.discard(rng.choice(sorted(dropped)))
        kept = [i for i in range(len(words)) if i not in dropped]
        return [words[i] for i in kept], [tags[i] for i in kept]


class WordSwap(_WordEdit):
    name, default_severity = "word_swap", 0.1
    description = "the chosen words trade places in random pairs (on NER only words tagged O, among themselves)"

    def perturb_words(self, words: list[str], tags: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
        outside = [i for i, tag in enumerate(tags) if tag == "O"]
        return _swapped(words, outside, self.severity, rng), list(tags)


class WordInsert(_WordEdit):
    name, default_severity = "word_insert", 0.1
    description = "a synonym of one of the sentence's words inserted at a random place (on NER with tag O, " \
                  "never inside an entity)"
    source = "the synonym list of harness/perturb/wordlists.py"

    def perturb_words(self, words: list[str], tags: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
        known = [w for w in words if w.lower() in wordlists.SYNONYMS]
        gaps = [i for i in range(len(words) + 1) if i == len(words) or not tags[i].startswith("I-")]
        if not known:
            return list(words), list(tags)
        before = {gaps[j] for j in choose(rng, len(words), self.severity) if j < len(gaps)}
        new_words, new_tags = [], []
        for i in range(len(words) + 1):
            if i in before:
                source = rng.choice(known)
                new_words.append(rng.choice(wordlists.SYNONYMS[source.lower()]))
                new_tags.append("O")
            if i < len(words):
                new_words.append(words[i])
                new_tags.append(tags[i])
        return new_words, new_tags


class ChineseCharSwap(Perturbation):
    name, language, default_severity = "zh_char_swap", "zh", 0.1
    description = "the chosen Chinese characters trade places in random pairs"
    source, unit, family = "no data", "Chinese characters", "word_edits"
    in_all, why_not_in_all = False, _AUGMENTATION_ONLY
    not_ner_safe_because = "on character-tagged text a moved character would carry its tag into another entity"

    def eligible_units(self, text: str) -> int:
        return len(CJK_RE.findall(text))

    def perturb(self, text: str, rng: random.Random) -> str:
        return "".join(_swapped(list(text), [m.start() for m in CJK_RE.finditer(text)], self.severity, rng))


PERTURBATIONS: tuple[type[Perturbation], ...] = (WordDelete, WordSwap, WordInsert, ChineseCharSwap)
