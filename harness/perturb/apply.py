"""Apply a perturbation to a split: Examples in, perturbed Examples out, same ids and labels.

- text / text-pair classification and regression: `text` and `text_pair` are perturbed
  (both with the example's one RNG, text first);
- token classification: `words` and `tags` go through `perturb_words` with the tags as
  IOB2 names (`labels` maps tag ids to names) and come back as ids; the result is checked
  (one tag per word, no empty word, no whitespace inside a word, known tags).

A perturbation never empties an input: an empty result keeps the clean input. The
perturbed Example's `fields` gets "perturbation": name, so a prompt or a report can tell,
and its raw text columns hold the perturbed text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from harness.errors import HarnessError
from harness.perturb.base import CJK_RE, Perturbation, make_rng
from harness.tasks import kinds
from harness.tasks.example import Example

PERTURBATION_FIELD = "perturbation"


def perturb_example(example: Example, perturbation: Perturbation, *, seed: int,
                    labels: Sequence[str] | None = None) -> Example:
    """One example perturbed with the RNG of (example id, seed, perturbation name)."""
    rng = make_rng(example.id, seed, perturbation.name)
    fields = {**example.fields, PERTURBATION_FIELD: perturbation.name}
    if example.words is not None and example.tags is not None:
        words, tags = _perturb_tagged(example, perturbation, labels, rng)
        return dataclasses.replace(example, words=words, tags=tags, fields=fields)
    if perturbation.needs_tags:
        raise HarnessError(f"perturbation {perturbation.name} does not apply to example {example.id}: "
                           f"{perturbation.why_not(kinds.TEXT_CLASSIFICATION)}")
    text = _keep_nonempty(example.text, perturbation.perturb(example.text, rng)) if example.text is not None else None
    pair = example.text_pair
    if pair is not None:
        pair = _keep_nonempty(pair, perturbation.perturb(pair, rng))
    # the raw row's text columns follow, so a prompt naming them ({{sentence}}) sees the perturbed text
    for key, value in example.fields.items():
        if isinstance(value, str) and example.text is not None and value.strip() == example.text:
            fields[key] = text
        elif isinstance(value, str) and example.text_pair is not None and value.strip() == example.text_pair:
            fields[key] = pair
    return dataclasses.replace(example, text=text, text_pair=pair, fields=fields)


def perturb_examples(examples: Sequence[Example], perturbation: Perturbation, *, seed: int,
                     labels: Sequence[str] | None = None, train: Sequence[Example] | None = None) -> list[Example]:
    """A perturbed copy of a split. `labels`: the task's tag names (token classification);
    `train`: the training split, for perturbations that need it (entity swaps)."""
    if perturbation.needs_training_data and train is not None:
        if labels is None:
            raise HarnessError(f"perturbation {perturbation.name} needs the task's labels with its training split")
        perturbation.prepare(train, labels)
    return [perturb_example(example, perturbation, seed=seed, labels=labels) for example in examples]


def _keep_nonempty(clean: str, perturbed: str) -> str:
    return perturbed if perturbed.strip() else clean


def _perturb_tagged(example: Example, perturbation: Perturbation, labels: Sequence[str] | None,
                    rng) -> tuple[tuple[str, ...], tuple[int, ...]]:
    reason = perturbation.why_not(kinds.TOKEN_CLASSIFICATION)
    if reason is not None:
        raise HarnessError(f"perturbation {perturbation.name} does not apply to token classification: {reason}")
    if labels is None:
        raise HarnessError("perturbing tagged examples needs the task's labels (tag names in tag-id order)")
    words, tags = perturbation.perturb_words(list(example.words), [labels[t] for t in example.tags], rng)
    if not words:
        return example.words, example.tags
    ids = {label: i for i, label in enumerate(labels)}
    broken = _misaligned(words, tags, ids)
    if broken:
        raise HarnessError(f"perturbation {perturbation.name} broke the tags of example {example.id}: {broken}; "
                           "it must return one known tag per word and words without spaces")
    return tuple(words), tuple(ids[tag] for tag in tags)


def _misaligned(words: Sequence[str], tags: Sequence[str], ids: Mapping[str, int]) -> str:
    """What is wrong with perturbed words and tags, or '' when they line up."""
    if len(words) != len(tags):
        return f"{len(words)} words but {len(tags)} tags"
    for word, tag in zip(words, tags):
        if not word or word.split() != [word]:
            return f"word {word!r} is empty or holds whitespace"
        if tag not in ids:
            return f"tag {tag!r} is not in the task's labels"
    return ""


def worst_case_correct(clean_correct: Sequence[bool],
                       perturbed_correct_by_name: Mapping[str, Sequence[bool]]) -> list[bool]:
    """Per example: correct on the clean input AND under every perturbation (HELM's worst case).

    `perturbed_correct_by_name` maps a perturbation name to per-example correctness, in the
    order of `clean_correct`. With no perturbations it is the clean correctness.
    """
    for name, flags in perturbed_correct_by_name.items():
        if len(flags) != len(clean_correct):
            raise ValueError(f"perturbation {name}: {len(flags)} results for {len(clean_correct)} examples")
    return [bool(clean) and all(bool(flags[i]) for flags in perturbed_correct_by_name.values())
            for i, clean in enumerate(clean_correct)]


def guess_language(examples: Sequence[Example], sample: int = 50) -> str:
    """'zh' when the first examples hold more Chinese characters than Latin letters, else 'en'."""
    chinese = latin = 0
    for example in examples[:sample]:
        for text in (example.text, example.text_pair, "".join(example.words or ())):
            if text:
                chinese += len(CJK_RE.findall(text))
                latin += sum(c.isascii() and c.isalpha() for c in text)
    return "zh" if chinese > latin else "en"
