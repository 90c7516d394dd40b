"""Prompt definitions of a task: how an example becomes text a language model can answer.

A task YAML may list `prompts:` (format in harness/tasks/builtin/README.md). Each prompt renders an
example's fields through a Jinja template; every label has a verbalizer (the answer
text), in the order of the task's `labels`. Prompts are kept out of the task's content
hash, so editing a prompt never changes fine-tuning run ids; each prompt has its own hash,
which zero/few-shot runs record and put into their run id. A prompt's `synonyms` (other
answer words per label, for format variants: harness.prompt_spread) are left out of that
hash: they change no score of the prompt as written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import jinja2
import jinja2.meta

from harness.errors import HarnessError
from harness.tasks.example import Example

PROMPT_KEYS = ("name", "template", "choices", "target_delimiter", "demo_separator", "instruction",
               "headline_scoring", "descriptions", "synonyms")
SCORINGS = ("sum", "mean")  # log-likelihood summed over the answer, or per character of it

_ENVIRONMENT = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


@dataclass(frozen=True)
class Prompt:
    name: str
    template: str  # Jinja over the example's fields, e.g. "{{text}}\nQuestion: positive or negative?\nAnswer:"
    choices: tuple[str, ...]  # verbalizer per label, in the task's label order
    target_delimiter: str  # between the rendered example and its answer
    demo_separator: str  # between demonstrations (few-shot)
    instruction: str  # put before everything; "" for none
    headline_scoring: str  # "sum" or "mean": which log-likelihood the headline prediction uses
    descriptions: tuple[str, ...]  # per label, for similarity scoring with sentence encoders
    synonyms: tuple[tuple[str, ...], ...] = ()  # per label, other answer words (as many for every label)

    @property
    def hash(self) -> str:
        """What the prompt as written scores with: its synonyms are left out."""
        values = self.to_dict()
        del values["synonyms"]
        return _hash(values)

    @property
    def full_hash(self) -> str:
        """The hash of everything, synonyms included (a spread over formats depends on them)."""
        return _hash(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "template": self.template, "choices": list(self.choices),
                "target_delimiter": self.target_delimiter, "demo_separator": self.demo_separator,
                "instruction": self.instruction, "headline_scoring": self.headline_scoring,
                "descriptions": list(self.descriptions), "synonyms": [list(words) for words in self.synonyms]}

    @property
    def variables(self) -> set[str]:
        return jinja2.meta.find_undeclared_variables(_ENVIRONMENT.parse(self.template))

    def render(self, example: Example, label_names: list[str] | None = None) -> str:
        """The example as prompt text (without its answer)."""
        return _ENVIRONMENT.from_string(self.template).render(template_fields(example, label_names))

    def answer(self, label: int) -> str:
        return self.target_delimiter + self.choices[label]

    def check_fields(self, example: Example, task_name: str) -> None:
        """A clear error when the template names a field the data does not have."""
        available = set(template_fields(example))
        missing = sorted(self.variables - available)
        if missing:
            raise HarnessError(f"task {task_name} prompt '{self.name}': template names field(s) "
                               f"{', '.join(missing)} that the data does not have "
                               f"(available: {', '.join(sorted(available))})")


def _hash(values: dict[str, Any]) -> str:
    canonical = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def template_fields(example: Example, label_names: list[str] | None = None) -> dict[str, Any]:
    """The raw row's fields, plus text/text_pair/label_name under their canonical names."""
    fields = {str(k): v for k, v in example.fields.items()}
    if example.text is not None:
        fields["text"] = example.text
    if example.text_pair is not None:
        fields["text_pair"] = example.text_pair
    if label_names and isinstance(example.label, int):
        fields["label_name"] = label_names[example.label]
    return fields


def parse_prompts(value: Any, labels: list[str], fail) -> list[Prompt]:
    """Checked prompts from a task file's `prompts:` list; `fail(field, expected, found)` makes the error."""
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        raise fail("prompts", "a non-empty list of prompts", value)
    prompts, names = [], set()
    for i, item in enumerate(value):
        where = f"prompts[{i}]"
        if not isinstance(item, dict):
            raise fail(where, "a mapping with name, template and choices", item)
        for key in item:
            if key not in PROMPT_KEYS:
                raise fail(f"{where}.{key}", f"one of {', '.join(PROMPT_KEYS)}", key)
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise fail(f"{where}.name", "a non-empty string", name)
        if name in names:
            raise fail(f"{where}.name", "a name no other prompt of the task has", name)
        names.add(name)
        template = item.get("template")
        if not isinstance(template, str) or not template.strip():
            raise fail(f"{where}.template", "a non-empty Jinja template", template)
        try:
            _ENVIRONMENT.parse(template)
        except jinja2.TemplateSyntaxError as error:
            raise fail(f"{where}.template", "a valid Jinja template", f"{error.message} (line {error.lineno})")
        choices = _label_strings(item.get("choices"), f"{where}.choices", labels, fail)
        descriptions = item.get("descriptions")
        descriptions = choices if descriptions is None else _label_strings(
            descriptions, f"{where}.descriptions", labels, fail)
        scoring = item.get("headline_scoring", "sum")
        if scoring not in SCORINGS:
            raise fail(f"{where}.headline_scoring", f"one of {', '.join(SCORINGS)}", scoring)
        texts = {key: item.get(key, default) for key, default in
                 (("target_delimiter", " "), ("demo_separator", "\n\n"), ("instruction", ""))}
        for key, text in texts.items():
            if not isinstance(text, str):
                raise fail(f"{where}.{key}", "a string", text)
        synonyms = _synonyms(item.get("synonyms"), f"{where}.synonyms", labels, choices, fail)
        prompts.append(Prompt(name=name, template=template, choices=tuple(choices), descriptions=tuple(descriptions),
                              headline_scoring=scoring, synonyms=synonyms, **texts))
    return prompts


def _label_strings(value: Any, field: str, labels: list[str], fail) -> list[str]:
    """One non-empty, distinct string per label, as a list in label order or a mapping label -> text."""
    if isinstance(value, dict):
        unknown = [str(k) for k in value if str(k) not in labels]
        if unknown:
            raise fail(field, f"keys among the task's labels ({', '.join(labels)})", ", ".join(unknown))
        missing = [label for label in labels if label not in {str(k) for k in value}]
        if missing:
            raise fail(field, "a text for every label", f"none for {', '.join(missing)}")
        value = [value[next(k for k in value if str(k) == label)] for label in labels]
    if not isinstance(value, list) or not value:
        raise fail(field, f"a non-empty list with one text per label ({len(labels)})", value)
    if len(value) != len(labels):
        raise fail(field, f"one text per label ({len(labels)}: {', '.join(labels)})", f"{len(value)} texts")
    for i, text in enumerate(value):
        if not isinstance(text, str) or not text.strip():
            raise fail(f"{field}[{i}]", "a non-empty string", text)
    duplicates = sorted({text for text in value if value.count(text) > 1})
    if duplicates:
        raise fail(field, "distinct texts (the model could not tell the labels apart)",
                   f"{', '.join(repr(d) for d in duplicates)} more than once")
    return [str(text) for text in value]


def _synonyms(value: Any, field: str, labels: list[str], choices: list[str], fail) -> tuple[tuple[str, ...], ...]:
    """Per label, a list of other answer words, the same number for every label; no word answers two labels."""
    if value is None:
        return ()
    if isinstance(value, dict):
        by_label = {str(key): words for key, words in value.items()}
        if set(by_label) != set(labels):
            raise fail(field, f"one key per label ({', '.join(labels)})", ", ".join(by_label))
        value = [by_label[label] for label in labels]
    if not isinstance(value, list) or len(value) != len(labels):
        raise fail(field, f"one list of other answer words per label ({len(labels)}: {', '.join(labels)})", value)
    for i, words in enumerate(value):
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise fail(f"{field}[{i}]", "a non-empty list of non-empty strings", words)
    if len({len(words) for words in value}) > 1:
        raise fail(field, "as many synonyms for every label (format variant j uses the j-th of each)",
                   ", ".join(f"{label}: {len(words)}" for label, words in zip(labels, value)))
    owner: dict[str, str] = {}
    for label, choice, words in zip(labels, choices, value):
        for word in (choice, *words):
            if owner.get(word, label) != label:
                raise fail(field, "answer words that no two labels share (the model could not tell them apart)",
                           f"{word!r} answers both {owner[word]} and {label}")
            owner[word] = label
        if len(set(words)) != len(words) or choice in words:
            raise fail(field, f"synonyms of label {label} that differ from each other and from its choice {choice!r}",
                       words)
    return tuple(tuple(words) for words in value)


def find_prompt(prompts: list[Prompt], name: str | None, task_name: str) -> Prompt:
    """The named prompt, or the task's first when no name is given."""
    if not prompts:
        raise HarnessError(f"task {task_name} defines no prompts; add a `prompts:` list to its YAML "
                           "(format in harness/tasks/builtin/README.md)")
    if not name:
        return prompts[0]
    for prompt in prompts:
        if prompt.name == name:
            return prompt
    raise HarnessError(f"task {task_name} has no prompt '{name}' (its prompts: {', '.join(p.name for p in prompts)})")
