"""English perturbations.

Sources: every list comes from harness/perturb/wordlists.py, written by hand for this
project (keyboard neighbours, misspellings, synonyms, fillers, first names and cities,
contractions); case changes and punctuation use Python's own Unicode tables. No package
and no data file is read.

Word-level ones (typos, misspellings, case, synonyms, name swaps) change a word in place
and are NER-safe: one tag per word, tags unchanged. Punctuation removal and filler words
are alignment-aware on NER (they drop or insert only "O" words). Contractions and extra
whitespace merge, split or only re-space words: not NER-safe.
"""

from __future__ import annotations

import random
import re
import unicodedata

from harness.perturb import wordlists
from harness.perturb.base import WORD_RE, Perturbation, WordPerturbation, choose, match_case

HAND_WRITTEN = "a list written for this project (harness/perturb/wordlists.py)"


def _letters(word: str) -> list[int]:
    return [i for i, c in enumerate(word) if c.isalpha()]


class KeyboardTypos(WordPerturbation):
    name, language, default_severity = "keyboard_typos", "en", 0.2
    family = "typos"
    description = "one letter of a word replaced by a key next to it on a QWERTY keyboard"
    source = HAND_WRITTEN

    def eligible(self, unit: str) -> bool:
        return any(c.lower() in wordlists.KEYBOARD_NEIGHBOURS for c in unit)

    def change(self, unit: str, rng: random.Random) -> str:
        i = rng.choice([i for i, c in enumerate(unit) if c.lower() in wordlists.KEYBOARD_NEIGHBOURS])
        typed = rng.choice(wordlists.KEYBOARD_NEIGHBOURS[unit[i].lower()])
        return unit[:i] + (typed.upper() if unit[i].isupper() else typed) + unit[i + 1:]


class CharSwap(WordPerturbation):
    name, language, default_severity = "char_swap", "en", 0.2
    family = "typos"
    description = "two neighbouring, different letters of a word swapped"
    source = "no data"

    @staticmethod
    def _pairs(unit: str) -> list[int]:
        return [i for i in range(len(unit) - 1) if unit[i].isalpha() and unit[i + 1].isalpha()
                and unit[i] != unit[i + 1]]

    def eligible(self, unit: str) -> bool:
        return bool(self._pairs(unit))

    def change(self, unit: str, rng: random.Random) -> str:
        i = rng.choice(self._pairs(unit))
        return unit[:i] + unit[i + 1] + unit[i] + unit[i + 2:]


class CharInsert(WordPerturbation):
    name, language, default_severity = "char_insert", "en", 0.2
    family = "typos"
    description = "a random letter inserted next to a letter of a word"
    source = "no data"

    def eligible(self, unit: str) -> bool:
        return bool(_letters(unit))

    def change(self, unit: str, rng: random.Random) -> str:
        i = rng.choice(_letters(unit))
        letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
        at = i + rng.randint(0, 1)
        return unit[:at] + (letter.upper() if unit[i].isupper() else letter) + unit[at:]


class CharDelete(WordPerturbation):
    name, language, default_severity = "char_delete", "en", 0.2
    family = "typos"
    description = "one letter deleted from a word of two letters or more"
    source = "no data"

    def eligible(self, unit: str) -> bool:
        return len(_letters(unit)) >= 2

    def change(self, unit: str, rng: random.Random) -> str:
        i = rng.choice(_letters(unit))
        return unit[:i] + unit[i + 1:]


class _FromTable(WordPerturbation):
    """A listed word replaced by one of its listed alternatives, in the word's case."""

    table: dict[str, tuple[str, ...] | list[str]] = {}

    def eligible(self, unit: str) -> bool:
        return unit.lower() in self.table

    def change(self, unit: str, rng: random.Random) -> str:
        return match_case(unit, rng.choice(self.table[unit.lower()]))


class Misspellings(_FromTable):
    name, language, default_severity = "misspellings", "en", 0.5
    family = "typos"
    description = "a word replaced by a common misspelling of it (definately, recieve, teh)"
    source = HAND_WRITTEN
    table = wordlists.MISSPELLINGS


class Synonyms(_FromTable):
    name, language, default_severity = "synonyms", "en", 0.5
    family = "wording"
    description = "a word replaced by a single-word synonym that keeps its sentiment"
    source = HAND_WRITTEN
    table = wordlists.SYNONYMS


class NameSwap(WordPerturbation):
    name, language, default_severity = "name_swap", "en", 1.0
    family = "entities"
    description = "a common first name or city name replaced by another one from the same list"
    source = HAND_WRITTEN
    _lists = (wordlists.FIRST_NAMES, wordlists.CITIES)

    def eligible(self, unit: str) -> bool:
        return any(unit.lower() in names for names in self._lists)

    def change(self, unit: str, rng: random.Random) -> str:
        names = next(names for names in self._lists if unit.lower() in names)
        return match_case(unit, rng.choice([n for n in names if n != unit.lower()]))


class Lowercase(WordPerturbation):
    name, language, default_severity = "lowercase", "en", 1.0
    family = "case"
    description = "words written in lower case"
    source = "Python's str.lower"

    def eligible(self, unit: str) -> bool:
        return unit != unit.lower()

    def change(self, unit: str, rng: random.Random) -> str:
        return unit.lower()


class Uppercase(WordPerturbation):
    name, language, default_severity = "uppercase", "en", 1.0
    family = "case"
    description = "words written in upper case"
    source = "Python's str.upper"

    def eligible(self, unit: str) -> bool:
        return unit != unit.upper()

    def change(self, unit: str, rng: random.Random) -> str:
        return unit.upper()


def title(word: str) -> str:
    """First character upper case, the rest lower case."""
    return word[:1].upper() + word[1:].lower()


class TitleCase(WordPerturbation):
    name, language, default_severity = "title_case", "en", 1.0
    family = "case"
    description = "words written with a capital first letter and the rest in lower case"
    source = "Python's str.upper and str.lower"
    # Not the letters after an apostrophe ("it 's", "does n't" in tokenised text).
    unit_pattern = re.compile(r"(?<!['\u2019])" + WORD_RE.pattern)

    def eligible(self, unit: str) -> bool:
        return title(unit) != unit and unit.lower() not in ("n't", "n\u2019t")

    def change(self, unit: str, rng: random.Random) -> str:
        return title(unit)


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


class RemovePunctuation(Perturbation):
    name, language, default_severity = "remove_punctuation", "en", 1.0
    family = "punctuation"
    description = "punctuation marks deleted; a word made only of them disappears"
    source = "Unicode punctuation categories (unicodedata)"
    unit = "punctuation marks"
    ner_safe = True  # a vanishing word is dropped only when tagged O; entity words keep theirs

    def eligible_units(self, text: str) -> int:
        return sum(map(_is_punctuation, text))

    def perturb(self, text: str, rng: random.Random) -> str:
        marks = [i for i, c in enumerate(text) if _is_punctuation(c)]
        drop = {marks[j] for j in choose(rng, len(marks), self.severity)}
        out: list[str] = []
        start, skip_space = 0, False
        for piece in re.findall(r"\S+|\s+", text):
            kept = "".join(c for k, c in enumerate(piece, start) if k not in drop)
            start += len(piece)
            if piece.isspace():
                if not skip_space:
                    out.append(piece)
                skip_space = False
            elif kept:
                out.append(kept)
            elif out:  # a word that vanished takes one neighbouring space with it
                out.pop()
            else:
                skip_space = True
        return "".join(out)

    def perturb_words(self, words: list[str], tags: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
        def removable(word: str, tag: str) -> bool:
            return tag == "O" or not all(map(_is_punctuation, word))  # never empty an entity word

        marks = [(w, k) for w, (word, tag) in enumerate(zip(words, tags)) if removable(word, tag)
                 for k, c in enumerate(word) if _is_punctuation(c)]
        drop = {marks[j] for j in choose(rng, len(marks), self.severity)}
        new_words, new_tags = [], []
        for w, (word, tag) in enumerate(zip(words, tags)):
            kept = "".join(c for k, c in enumerate(word) if (w, k) not in drop)
            if kept:
                new_words.append(kept)
                new_tags.append(tag)
        return new_words, new_tags


class ExtraWhitespace(Perturbation):
    name, language, default_severity = "extra_whitespace", "en", 0.3
    family = "spacing"
    description = "one to three extra spaces added between words"
    source = "no data"
    unit = "gaps between words"
    not_ner_safe_because = "tagged words carry no whitespace, so there is nothing to change"
    _gap = re.compile(r"(?<=\S)\s+(?=\S)")

    def eligible_units(self, text: str) -> int:
        return len(self._gap.findall(text))

    def perturb(self, text: str, rng: random.Random) -> str:
        gaps = list(self._gap.finditer(text))
        out, last = [], 0
        for j in choose(rng, len(gaps), self.severity):
            end = gaps[j].end()
            out += [text[last:end], " " * rng.randint(1, 3)]
            last = end
        return "".join(out) + text[last:]


class FillerWords(Perturbation):
    name, language, default_severity = "filler_words", "en", 0.1
    family = "wording"
    description = "spoken fillers (um, like, you know) inserted between words"
    source = HAND_WRITTEN
    unit = "gaps between words"
    ner_safe = True  # fillers go in with tag O, never inside an entity

    def eligible_units(self, text: str) -> int:
        return max(len(text.split()) - 1, 0)

    def perturb(self, text: str, rng: random.Random) -> str:
        starts = [m.start() for m in re.finditer(r"\S+", text)][1:]
        out, last = [], 0
        for j in choose(rng, len(starts), self.severity):
            out += [text[last:starts[j]], rng.choice(wordlists.FILLERS) + " "]
            last = starts[j]
        return "".join(out) + text[last:]

    def perturb_words(self, words: list[str], tags: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
        gaps = [i for i in range(1, len(words)) if not tags[i].startswith("I-")]
        before = {gaps[j] for j in choose(rng, len(gaps), self.severity)}
        new_words, new_tags = [], []
        for i, (word, tag) in enumerate(zip(words, tags)):
            if i in before:
                filler = rng.choice(wordlists.FILLERS).split()
                new_words += filler
                new_tags += ["O"] * len(filler)
            new_words.append(word)
            new_tags.append(tag)
        return new_words, new_tags


_APOSTROPHE = "['\u2019]"
NOT_NER_SAFE_CONTRACTION = "it merges two words into one or splits one into two"


def _contracted_regex(form: str) -> str:
    """don't -> do\\s?n['’]t: matches "don't" and the tokenised "do n't" (SST-2's form)."""
    if form.endswith("n't"):
        stem, suffix = form[:-3], "n't"
    else:
        stem, rest = form.split("'", 1)
        suffix = "'" + rest
    return rf"\b{re.escape(stem)}\s?{suffix.replace(chr(39), _APOSTROPHE)}\b"


def _expanded_regex(full: str) -> str:
    words = r"\s+".join(map(re.escape, full.split()))
    # "it is" contracts only before another word: "what it is ." must not become "what it's ."
    after = "" if full.endswith("not") else r"(?=\s+[^\W\d_])"
    return rf"\b{words}\b{after}"


def _key(matched: str) -> str:
    return re.sub(r"\s+", " ", matched.lower())


_EXPANDED = {form.replace("'", ""): full for form, full in wordlists.CONTRACTIONS.items()}
_CONTRACTED = {full: form for form, full in wordlists.CONTRACTIONS.items()} | {"can not": "can't"}
_CONTRACTED_RE = re.compile(
    "|".join(map(_contracted_regex, sorted(wordlists.CONTRACTIONS, key=len, reverse=True))), re.IGNORECASE)
_EXPANDED_RE = re.compile("|".join(map(_expanded_regex, sorted(_CONTRACTED, key=len, reverse=True))), re.IGNORECASE)


class _RegexReplace(Perturbation):
    """Replaces chosen matches of `pattern` by `replacement(match)`, in the match's case."""

    pattern: re.Pattern[str]
    not_ner_safe_because = NOT_NER_SAFE_CONTRACTION
    source = HAND_WRITTEN

    def replacement(self, matched: str) -> str:
        raise NotImplementedError

    def eligible_units(self, text: str) -> int:
        return len(self.pattern.findall(text))

    def perturb(self, text: str, rng: random.Random) -> str:
        found = list(self.pattern.finditer(text))
        out, last = [], 0
        for j in choose(rng, len(found), self.severity):
            match = found[j]
            out += [text[last:match.start()], match_case(match.group(), self.replacement(match.group()))]
            last = match.end()
        return "".join(out) + text[last:]


class ExpandContractions(_RegexReplace):
    name, language, default_severity = "expand_contractions", "en", 1.0
    family = "wording"
    description = "contractions written out: don't -> do not, it's -> it is (also tokenised do n't)"
    unit = "contractions"
    pattern = _CONTRACTED_RE

    def replacement(self, matched: str) -> str:
        return _EXPANDED[re.sub(r"[\s'\u2019]", "", matched.lower())]


class Contract(_RegexReplace):
    name, language, default_severity = "contract", "en", 1.0
    family = "wording"
    description = "pairs of words contracted: do not -> don't, it is -> it's"
    unit = "contractible word pairs"
    pattern = _EXPANDED_RE

    def replacement(self, matched: str) -> str:
        return _CONTRACTED[_key(matched)]


PERTURBATIONS: tuple[type[Perturbation], ...] = (
    KeyboardTypos, CharSwap, CharInsert, CharDelete, Misspellings, Lowercase, Uppercase, TitleCase,
    RemovePunctuation, ExtraWhitespace, ExpandContractions, Contract, Synonyms, FillerWords, NameSwap,
)
