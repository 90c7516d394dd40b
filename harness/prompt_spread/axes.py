"""The built-in format axes (harness.prompt_spread.formats.Axis), in the order they are applied."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import ClassVar

from harness.errors import HarnessError
from harness.prompt_spread.formats import (
    Axis,
    answer_cue,
    field_names,
    field_pattern,
    is_chinese,
    masked,
    with_template,
)


def _check_option(axis: Axis, option: str, known) -> None:
    """Applied after other axes, an axis checks only that it knows the option (they chose it on the prompt as written)."""
    if option not in known:
        raise HarnessError(f"format axis {axis.name} has no option {option!r} (its options: {', '.join(known)})")


class Separator(Axis):
    name = "separator"
    description = "what separates the template's lines (a newline as written)"
    SEPARATORS: ClassVar[dict] = {"space": " ", "double-newline": "\n\n", "bar": " || "}

    def options(self, prompt):
        return tuple(self.SEPARATORS) if "\n" in masked(prompt) else ()

    def apply(self, prompt, option):
        _check_option(self, option, self.SEPARATORS)
        return with_template(prompt, lambda text: text.replace("\n", self.SEPARATORS[option]))


class AnswerCue(Axis):
    name = "cue"
    description = "the field name the answer follows ('Answer:' as written, 'A:', 'Output:', ...)"
    ENGLISH: ClassVar[dict] = {"answer": "Answer", "a": "A", "output": "Output", "label": "Label"}
    CHINESE: ClassVar[dict] = {"answer": "答案", "reply": "回答", "output": "输出"}

    def _cues(self, prompt):
        return self.CHINESE if is_chinese(prompt) else self.ENGLISH

    def options(self, prompt):
        cue = answer_cue(prompt)
        return () if cue is None else tuple(k for k, word in self._cues(prompt).items() if word != cue.group(1))

    def apply(self, prompt, option):
        _check_option(self, option, self._cues(prompt))
        word, pattern = self._cues(prompt)[option], field_pattern(prompt)

        def edit(text: str) -> str:
            cue = [m for m in pattern.finditer(text) if m.end(2) == len(text.rstrip())][-1]
            return text[:cue.start(1)] + word + text[cue.end(1):]
        return with_template(prompt, edit)


class Punctuation(Axis):
    name = "colon"
    description = "the punctuation after a field name (':' as written, ' -', '::', ' =')"
    ENGLISH: ClassVar[dict] = {"dash": " -", "double-colon": "::", "equals": " ="}
    CHINESE: ClassVar[dict] = {"ascii": ":", "dash": "-"}

    def options(self, prompt):
        return (tuple(self.CHINESE if is_chinese(prompt) else self.ENGLISH) if field_names(prompt) else ())

    def apply(self, prompt, option):
        _check_option(self, option, self.CHINESE if is_chinese(prompt) else self.ENGLISH)
        mark = (self.CHINESE if is_chinese(prompt) else self.ENGLISH)[option]
        pattern = field_pattern(prompt)
        return with_template(prompt, lambda text: pattern.sub(lambda m: m.group(1) + mark + m.group(3), text))


class Spacing(Axis):
    name = "spacing"
    description = "the space between a field name and its value on the same line"
    SPACES: ClassVar[dict] = {"tight": "", "spaced": " ", "newline": "\n"}

    def _inline(self, prompt) -> list[str]:  # the spaces after field names followed by a value
        text = masked(prompt)
        return [m.group(3) for m in field_pattern(prompt).finditer(text) if m.end() < len(text) and text[m.end()] != "\n"]

    def options(self, prompt):
        spaces = set(self._inline(prompt))
        return tuple(name for name, space in self.SPACES.items() if spaces and spaces != {space})

    def apply(self, prompt, option):
        _check_option(self, option, self.SPACES)
        pattern, space = field_pattern(prompt), self.SPACES[option]

        def edit(text: str) -> str:
            def one(m: re.Match) -> str:
                inline = m.end() < len(text) and text[m.end()] != "\n"
                return m.group(1) + m.group(2) + (space if inline else m.group(3))
            return pattern.sub(one, text)
        return with_template(prompt, edit)


class Casing(Axis):
    name = "case"
    description = "the casing of field names ('Answer' as written, 'ANSWER', 'answer')"
    CASES: ClassVar[dict] = {"upper": str.upper, "lower": str.lower}

    def options(self, prompt):
        names = field_names(prompt)
        return tuple(k for k, change in self.CASES.items() if any(change(n) != n for n in names))

    def apply(self, prompt, option):
        _check_option(self, option, self.CASES)
        pattern, change = field_pattern(prompt), self.CASES[option]
        return with_template(prompt, lambda text: pattern.sub(lambda m: change(m.group(1)) + m.group(2) + m.group(3),
                                                                text))


class LabelWords(Axis):
    name = "labels"
    description = "the answer words: the j-th synonym of every label's choice (the task's `synonyms`)"

    def options(self, prompt):
        count = len(prompt.synonyms[0]) if prompt.synonyms else 0
        return tuple(f"synonyms-{j}" for j in range(1, count + 1))

    def apply(self, prompt, option):
        _check_option(self, option, self.options(prompt))
        j = int(option.removeprefix("synonyms-")) - 1
        return replace(prompt, choices=tuple(words[j] for words in prompt.synonyms),
                       descriptions=tuple(words[j] for words in prompt.synonyms))


# field names are found at line starts, so the axes that edit them come before the separator, and the
# punctuation last among them (the others find a field name by its ':')
BUILTIN = (LabelWords(), Spacing(), AnswerCue(), Casing(), Punctuation(), Separator())
