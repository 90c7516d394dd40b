"""Chinese perturbations.

Sources:
- zh_homophones: `pypinyin` (its own character -> pinyin table). The candidates are the
  3,755 level-1 characters of GB2312 (the common characters, read from Python's own
  gb2312 codec) unless a `charset` is given. Homophones are *toned*: 是 (shi4) may become
  事 or 市, never 十 (shi2): a toneless swap sounds different and is closer to a pinyin
  input-method slip than to a homophone. A character is read by its commonest reading
  (pypinyin's first), so a heteronym (行 xing2/hang2) counts as its first reading.
- zh_similar_chars, zh_punct_width: tables written for this project (wordlists_zh.py).
- zh_traditional: `opencc-python-reimplemented` (OpenCC's s2t tables), phrase-aware on
  plain text; one character at a time on tagged text so every character keeps its tag.
- zh_char_delete, zh_char_repeat: no data.

All are NER-safe on character-tagged text (CLUENER): substitutions keep one tag per
character; deletion removes only characters tagged O; a repeated character gets I-X
after B-X or I-X, and O after O.
"""

from __future__ import annotations

import functools
import random
import re

from harness.perturb import wordlists_zh
from harness.perturb.base import CJK_RE, Perturbation, WordPerturbation, choose

CHINESE_CHARACTERS = "Chinese characters"
HAND_WRITTEN = "a table written for this project (harness/perturb/wordlists_zh.py)"


def common_characters() -> str:
    """GB2312 level 1: the 3,755 commonest simplified characters (rows 16-55 of the code table)."""
    rows = (bytes([row, cell]) for row in range(0xB0, 0xD8) for cell in range(0xA1, 0xFF))
    return "".join(code.decode("gb2312") for code in rows if code < b"\xd7\xfa")


@functools.lru_cache(maxsize=None)
def reading(char: str) -> str:
    """The commonest toned reading of a character, tone as a digit (是 -> shi4; neutral tone 5)."""
    from pypinyin import Style, lazy_pinyin  # imported on first use: it loads a 40k-entry table

    return lazy_pinyin(char, style=Style.TONE3, neutral_tone_with_five=True)[0]


@functools.lru_cache(maxsize=8)
def homophone_groups(charset: str) -> dict[str, tuple[str, ...]]:
    """Toned reading -> the characters of `charset` that have it as their commonest reading."""
    groups: dict[str, list[str]] = {}
    for char in dict.fromkeys(charset):
        if CJK_RE.fullmatch(char):
            groups.setdefault(reading(char), []).append(char)
    return {sound: tuple(chars) for sound, chars in groups.items()}


class Homophones(WordPerturbation):
    name, language, default_severity = "zh_homophones", "zh", 0.1
    family = "typos"
    description = "a character replaced by a common character with the same toned pinyin"
    source = "pypinyin readings over GB2312 level-1 characters"
    unit = CHINESE_CHARACTERS
    unit_pattern = word_pattern = CJK_RE

    def __init__(self, severity: float | None = None, charset: str | None = None) -> None:
        super().__init__(severity)
        self.charset = charset if charset is not None else common_characters()

    def _others(self, char: str) -> list[str]:
        return [c for c in homophone_groups(self.charset).get(reading(char), ()) if c != char]

    def eligible(self, unit: str) -> bool:
        return bool(self._others(unit))

    def change(self, unit: str, rng: random.Random) -> str:
        return rng.choice(self._others(unit))


def _similar_table() -> dict[str, tuple[str, ...]]:
    table: dict[str, dict[str, None]] = {}
    for group in wordlists_zh.SIMILAR_GROUPS:
        for char in group:
            table.setdefault(char, {}).update(dict.fromkeys(c for c in group if c != char))
    return {char: tuple(others) for char, others in table.items()}


class SimilarChars(WordPerturbation):
    name, language, default_severity = "zh_similar_chars", "zh", 0.5
    family = "typos"
    description = "a character replaced by one that looks alike (己 -> 已, 未 -> 末)"
    source = HAND_WRITTEN
    unit = "characters with a look-alike"
    unit_pattern = word_pattern = CJK_RE
    table = _similar_table()

    def eligible(self, unit: str) -> bool:
        return unit in self.table

    def change(self, unit: str, rng: random.Random) -> str:
        return rng.choice(self.table[unit])


# A half-width . , : between digits is a decimal point or separator, not punctuation to widen.
_PUNCTUATION = re.compile("[" + re.escape("".join(wordlists_zh.FULL_TO_HALF)) + "]|"
                          r"(?<!\d)[.,:](?!\d)|[" + re.escape("!?;()[]<>~") + "]")


class PunctuationWidth(WordPerturbation):
    name, language, default_severity = "zh_punct_width", "zh", 1.0
    family = "punctuation"
    description = "full-width punctuation written half-width (，-> ,) and half-width written full-width"
    source = HAND_WRITTEN
    unit = "punctuation marks"
    unit_pattern = word_pattern = _PUNCTUATION

    def change(self, unit: str, rng: random.Random) -> str:
        return wordlists_zh.FULL_TO_HALF.get(unit) or wordlists_zh.HALF_TO_FULL[unit]


@functools.lru_cache(maxsize=1)
def _s2t():
    from opencc import OpenCC  # imported on first use: it reads its dictionaries

    return OpenCC("s2t")


@functools.lru_cache(maxsize=None)
def traditional_char(char: str) -> str:
    converted = _s2t().convert(char)
    return converted if len(converted) == 1 else char


class Traditional(Perturbation):
    name, language, default_severity = "zh_traditional", "zh", 1.0
    family = "script"
    description = "simplified characters written in traditional form (这个 -> 這個)"
    source = "opencc-python-reimplemented (OpenCC s2t tables)"
    unit = "characters that have a traditional form"
    ner_safe = True

    def _converted(self, text: str) -> str:
        whole = _s2t().convert(text)  # phrase-aware: 头发 -> 頭髮, 发现 -> 發現
        return whole if len(whole) == len(text) else "".join(map(traditional_char, text))

    def eligible_units(self, text: str) -> int:
        return sum(a != b for a, b in zip(text, self._converted(text)))

    def perturb(self, text: str, rng: random.Random) -> str:
        converted = self._converted(text)
        differ = [i for i, (a, b) in enumerate(zip(text, converted)) if a != b]
        chars = list(text)
        for j in choose(rng, len(differ), self.severity):
            chars[differ[j]] = converted[differ[j]]
        return "".join(chars)

    def perturb_words(self, words: list[str], tags: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
        differ = [i for i, w in enumerate(words) if len(w) == 1 and traditional_char(w) != w]
        new = list(words)
        for j in choose(rng, len(differ), self.severity):
            new[differ[j]] = traditional_char(words[differ[j]])
        return new, list(tags)


class _CharEdit(Perturbation):
    """Deletes or repeats chosen Chinese characters; `times` is 0 (delete) or 2 (repeat)."""

    language = "zh"
    source = "no data"
    family = "typos"
    unit = CHINESE_CHARACTERS
    ner_safe = True
    times: int

    def eligible_units(self, text: str) -> int:
        return len(CJK_RE.findall(text))

    def perturb(self, text: str, rng: random.Random) -> str:
        positions = [m.start() for m in CJK_RE.finditer(text)]
        chosen = {positions[j] for j in choose(rng, len(positions), self.severity)}
        return "".join(c * self.times if i in chosen else c for i, c in enumerate(text))

    def _editable(self, word: str, tag: str) -> bool:
        return bool(CJK_RE.fullmatch(word))

    def perturb_words(self, words: list[str], tags: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
        positions = [i for i, (w, t) in enumerate(zip(words, tags)) if self._editable(w, t)]
        chosen = {positions[j] for j in choose(rng, len(positions), self.severity)}
        new_words, new_tags = [], []
        for i, (word, tag) in enumerate(zip(words, tags)):
            copies = self.times if i in chosen else 1
            if copies:
                new_words += [word] * copies
                # a copy continues the entity of the character it repeats (B-X -> B-X I-X)
                new_tags += [tag] + [tag if tag == "O" else "I-" + tag[2:]] * (copies - 1)
        return new_words, new_tags


class CharDelete(_CharEdit):
    name, default_severity, times = "zh_char_delete", 0.1, 0
    description = "Chinese characters deleted (on NER, only characters outside entities)"

    def _editable(self, word: str, tag: str) -> bool:
        return tag == "O" and bool(CJK_RE.fullmatch(word))


class CharRepeat(_CharEdit):
    name, default_severity, times = "zh_char_repeat", 0.1, 2
    description = "Chinese characters typed twice (好 -> 好好)"


PERTURBATIONS: tuple[type[Perturbation], ...] = (
    Homophones, SimilarChars, Traditional, PunctuationWidth, CharDelete, CharRepeat,
)
