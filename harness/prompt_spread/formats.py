"""Format variants of a prompt: meaning-preserving changes of layout, each a named, deterministic transform.

    formats = draw_from(axes, prompt, 10, seed=0)  # the prompt as written, then 9 seeded variants
    formats[3].name                                # 'separator=space+case=upper'
    formats[3].apply(prompt, axes)                 # the transformed Prompt

(harness.prompt_spread.registry's draw_formats and apply_format use the registered axes.)

Each axis changes one thing (after Sclar et al., 2024, "FormatSpread"): the newline between
the template's lines, the punctuation after a field name ("Answer:" -> "Answer -"), the
space after it, the casing of field names, the answer cue ("Answer:" -> "A:"), and the
answer words (the task's synonyms). Only the template's own text changes: Jinja fields are
set aside first, so no built-in axis can touch one; a plugin axis that loses a field is
refused when it is applied. Axes come from harness.prompt_spread.registry.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from harness.errors import HarnessError
from harness.tasks.prompts import Prompt

AS_WRITTEN = "as-written"
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_CJK = "\u4e00-\u9fff"
# a field name at the start of a line, its punctuation, and the space after it
_ENGLISH_FIELD = re.compile(r"(?m)^([A-Za-z][A-Za-z0-9]*(?: [A-Za-z0-9]+){0,2})(:)([ \t]*)")
_CHINESE_FIELD = re.compile(rf"(?m)^([{_CJK}][{_CJK}A-Za-z0-9]{{0,7}})([：:])([ \t]*)")


class Axis:
    """One way a prompt's format varies; `options(prompt)` names what it can change the prompt to (nothing
    for a prompt it does not apply to), `apply(prompt, option)` returns the prompt changed that way."""

    name: str = ""
    description: str = ""

    def options(self, prompt: Prompt) -> tuple[str, ...]:
        raise NotImplementedError

    def apply(self, prompt: Prompt, option: str) -> Prompt:
        raise NotImplementedError


def edit_text(template: str, edit: Callable[[str], str]) -> str:
    """`edit` applied to the template with its Jinja expressions set aside, then put back."""
    fields = _JINJA.findall(template)
    masked = _JINJA.sub(lambda m: f"\x00{fields.index(m.group(0))}\x00", template)
    edited = edit(masked)
    return re.sub(r"\x00(\d+)\x00", lambda m: fields[int(m.group(1))], edited)


def masked(prompt: Prompt) -> str:
    """The template's own text, each Jinja expression replaced by one NUL (what the axes read, never edit)."""
    return _JINJA.sub("\x00", prompt.template)


def is_chinese(prompt: Prompt) -> bool:
    return bool(re.search(f"[{_CJK}]", masked(prompt)))


def field_pattern(prompt: Prompt) -> re.Pattern:
    return _CHINESE_FIELD if is_chinese(prompt) else _ENGLISH_FIELD


def field_names(prompt: Prompt) -> list[str]:
    return [m.group(1) for m in field_pattern(prompt).finditer(masked(prompt))]


def answer_cue(prompt: Prompt) -> re.Match | None:
    """The field name the template ends on ("Answer:"), when it ends on one."""
    text = masked(prompt).rstrip()
    last = None
    for last in field_pattern(prompt).finditer(text):
        pass
    return last if last is not None and last.end(2) == len(text) else None


@dataclass(frozen=True)
class Format:
    """A choice of option on some axes; no choice at all is the prompt as written."""

    choices: tuple[tuple[str, str], ...]  # (axis, option), in the registry's axis order

    @property
    def name(self) -> str:
        return "+".join(f"{axis}={option}" for axis, option in self.choices) or AS_WRITTEN

    @classmethod
    def parse(cls, name: str) -> Format:
        """The format a name gives ('cue=a+case=upper'; 'as-written'), so a recorded variant can be made again."""
        if name == AS_WRITTEN:
            return cls(())
        choices = [part.split("=", 1) for part in name.split("+")]
        if not all(len(choice) == 2 and all(choice) for choice in choices):
            raise HarnessError(f"format {name!r}: expected {AS_WRITTEN} or AXIS=OPTION[+AXIS=OPTION], e.g. "
                               "cue=a+case=upper")
        return cls(tuple((axis, option) for axis, option in choices))

    def apply(self, prompt: Prompt, axes: dict[str, Axis]) -> Prompt:
        changed = prompt
        for axis, option in self.choices:
            if axis not in axes:
                raise HarnessError(f"format {self.name}: no format axis {axis!r} (axes: {', '.join(axes)})")
            changed = axes[axis].apply(changed, option)
        check_fields_kept(prompt, changed, self.name)
        return changed


def check_fields_kept(prompt: Prompt, changed: Prompt, name: str) -> None:
    """A format may move a prompt's text around, never drop or add a field the template fills in."""
    lost, added = sorted(prompt.variables - changed.variables), sorted(changed.variables - prompt.variables)
    if lost or added:
        what = f"removes field(s) {', '.join(lost)}" if lost else f"adds field(s) {', '.join(added)}"
        raise HarnessError(f"format {name} {what} of prompt '{prompt.name}'; a format transform must keep every "
                           "field the prompt needs: fix or unregister that axis")


def format_space(prompt: Prompt, axes: Sequence[Axis]) -> list[tuple[str, tuple[str, ...]]]:
    """(axis, its options) for every axis that applies to `prompt`."""
    return [(axis.name, options) for axis in axes if (options := tuple(axis.options(prompt)))]


def draw_from(axes: Sequence[Axis], prompt: Prompt, n: int, seed: int) -> list[Format]:
    """The prompt as written, then n - 1 formats drawn with the seed (the same every time), each giving a
    prompt unlike the others (two choices of axes that render the same text count once)."""
    by_name = {axis.name: axis for axis in axes}
    space = format_space(prompt, axes)
    combinations = [
        Format(tuple((axis, option) for (axis, _), option in zip(space, chosen) if option is not None))
        for chosen in itertools.product(*[(None, *options) for _, options in space])
    ]  # the first picks nothing: the prompt as written
    if n > len(combinations):
        _too_many(prompt, n, len(combinations), space)
    rng = random.Random(f"prompt-formats:{seed}:{prompt.name}")  # a string seed hashes the same in every process
    rest = combinations[1:]
    rng.shuffle(rest)
    drawn, seen = [combinations[0]], {prompt.full_hash}
    for candidate in rest:
        if len(drawn) == n:
            break
        rendered = candidate.apply(prompt, by_name).full_hash
        if rendered not in seen:
            drawn.append(candidate)
            seen.add(rendered)
    if len(drawn) < n:
        _too_many(prompt, n, len(drawn), space)
    return drawn


def _too_many(prompt: Prompt, n: int, available: int, space) -> None:
    applying = ", ".join(f"{name} ({len(options)})" for name, options in space) or "none"
    raise HarnessError(f"--prompt-formats {n}: prompt '{prompt.name}' has only {available} distinct formats (as "
                       f"written and the axes that apply to it: {applying}); lower --prompt-formats to {available} "
                       "or less, or give the prompt field names, more lines or synonyms")


def with_template(prompt: Prompt, edit: Callable[[str], str]) -> Prompt:
    return replace(prompt, template=edit_text(prompt.template, edit))
