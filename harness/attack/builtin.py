"""The built-in attacks: word substitution, character edits, Chinese characters, and NER.

Their transformations come from the project's perturbation library (harness/perturb):
keyboard neighbours and misspellings for typos, pypinyin homophones and the look-alike
table for Chinese, plus the substitute lists of harness/attack/substitutes.py.
"""

from __future__ import annotations

import random

from harness.attack.base import Attack, Document
from harness.attack.substitutes import STOP_CHARACTERS, STOP_WORDS, SUBSTITUTES
from harness.perturb import wordlists
from harness.perturb.base import CJK_RE, WORD_RE, match_case
from harness.perturb.chinese import Homophones, SimilarChars
from harness.tasks import kinds


def is_name(document: Document, i: int) -> bool:
    """A capitalised word that does not open a sentence: a name, which meaning-preserving edits leave alone."""
    unit = document.units[i]
    if not unit[:1].isupper() or i == 0:
        return False
    if document.field == "words":
        before = document.units[i - 1]
    else:
        before = document.text[document.spans[i - 1][1]:document.spans[i][0]]
    return not before.strip().endswith((".", "!", "?", ":", '"'))


def typos(word: str, rng: random.Random) -> list[str]:
    """Single-edit misspellings of `word` as DeepWordBug makes them: a swap of neighbouring letters, a
    keyboard-neighbour substitution, a deletion and an insertion (plus any listed common misspelling)."""
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    if len(letters) < 2:
        return []
    found = list(wordlists.MISSPELLINGS.get(word.lower(), ()))
    pairs = [i for i in letters[:-1] if word[i + 1].isalpha() and word[i] != word[i + 1]]
    if pairs:
        i = rng.choice(pairs)
        found.append(word[:i] + word[i + 1] + word[i] + word[i + 2:])
    keys = [i for i in letters if word[i].lower() in wordlists.KEYBOARD_NEIGHBOURS]
    if keys:
        i = rng.choice(keys)
        typed = rng.choice(wordlists.KEYBOARD_NEIGHBOURS[word[i].lower()])
        found.append(word[:i] + (typed.upper() if word[i].isupper() else typed) + word[i + 1:])
    i = rng.choice(letters)
    found.append(word[:i] + word[i + 1:])
    i = rng.choice(letters)
    found.append(word[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[i:])
    return found


class WordSubstitution(Attack):
    name = "word"
    description = "words swapped for substitutes that keep their meaning, most important words first"
    modelled_on = "TextFooler (Jin et al. 2020): words ranked by the score drop when deleted, greedy substitution"
    unit_pattern = WORD_RE
    constraints = "stop words and negations untouched; capitalised names untouched; one substitute per word"

    def eligible(self, document: Document, i: int) -> bool:
        word = document.units[i].lower()
        return word not in STOP_WORDS and word in SUBSTITUTES and not is_name(document, i)

    def candidates(self, document: Document, i: int, rng: random.Random) -> list[str]:
        unit = document.units[i]
        return [match_case(unit, substitute) for substitute in SUBSTITUTES[unit.lower()]]


class CharacterEdits(Attack):
    name = "char"
    description = "one typo (swap, keyboard slip, deletion, insertion) in each of the most important words"
    modelled_on = "DeepWordBug (Gao et al. 2018): tokens ranked by importance, character edits on the top ones"
    unit_pattern = WORD_RE
    constraints = "stop words and negations untouched; capitalised names untouched; words of 3+ letters only"

    def eligible(self, document: Document, i: int) -> bool:
        word = document.units[i]
        return len(word) >= 3 and word.lower() not in STOP_WORDS and not is_name(document, i)

    def candidates(self, document: Document, i: int, rng: random.Random) -> list[str]:
        return typos(document.units[i], rng)


class ChineseCharacters(Attack):
    name = "zh_char"
    language = "zh"
    unit = "characters"
    unit_pattern = CJK_RE
    description = "characters swapped for homophones (same toned pinyin) or look-alikes, most important first"
    modelled_on = "homophone and glyph substitutions of Chinese attacks (e.g. Zhang et al. 2020, Argot)"
    constraints = "function characters and negations (的 了 是 不 没 ...) untouched"
    max_candidates = 8
    _homophones = Homophones(1.0)
    _similar = SimilarChars(1.0)

    def eligible(self, document: Document, i: int) -> bool:
        char = document.units[i]
        return char not in STOP_CHARACTERS and (self._similar.eligible(char) or self._homophones.eligible(char))

    def candidates(self, document: Document, i: int, rng: random.Random) -> list[str]:
        char = document.units[i]
        looks = list(self._similar.table.get(char, ()))
        sounds = self._homophones._others(char)
        return looks + rng.sample(sounds, min(len(sounds), self.max_candidates - min(len(looks), 4)))


class NerAttack(Attack):
    name = "ner"
    kinds = (kinds.TOKEN_CLASSIFICATION,)
    description = "typos in entity words and substitutes for context words, one tag per word kept"
    modelled_on = "entity-targeted attacks on NER (typos in mentions, context substitution; cf. Lin et al. 2021)"
    unit_pattern = WORD_RE
    constraints = ("words keep their tags (one word in, one word out); entity words get typos only, context words "
                   "substitutes only; stop words untouched")

    def eligible(self, document: Document, i: int) -> bool:
        word = document.units[i]
        if not WORD_RE.fullmatch(word) or word.lower() in STOP_WORDS:
            return False
        if document.tags[i] != "O":
            return len(word) >= 3
        return word.lower() in SUBSTITUTES

    def candidates(self, document: Document, i: int, rng: random.Random) -> list[str]:
        word = document.units[i]
        if document.tags[i] != "O":
            return typos(word, rng)
        return [match_case(word, substitute) for substitute in SUBSTITUTES[word.lower()]]
