"""Few-shot demonstrations: k training examples drawn with a seed, and the prompt text around them.

The draw depends only on the training split, k, the seed and `balanced`, never on the
model, so every model sees the same demonstrations and their scores compare.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from harness.errors import HarnessError
from harness.tasks import Example
from harness.tasks.prompts import Prompt


def draw_demonstrations(train: Sequence[Example], k: int, seed: int, *, balanced: bool = False,
                        num_labels: int | None = None, source: str = "the training split") -> list[Example]:
    """k examples from `train`; `balanced` spreads them over the labels as evenly as k allows."""
    if k == 0:
        return []
    if k > len(train):
        raise HarnessError(f"k = {k} demonstrations asked for, but {source} has only {len(train)} examples; "
                           "lower --few-shot-k")
    rng = random.Random(f"demonstrations:{seed}")  # a string seed hashes the same in every process
    pool = sorted(train, key=lambda example: example.id)  # independent of the order the data was read in
    if not balanced:
        return rng.sample(pool, k)
    by_label: dict[int, list[Example]] = {}
    for example in pool:
        by_label.setdefault(example.label, []).append(example)
    labels = sorted(by_label)
    for label in labels:
        rng.shuffle(by_label[label])
    # round-robin over labels in a shuffled order, so k < labels still picks a seeded subset of labels
    rng.shuffle(labels)
    drawn: list[Example] = []
    depth = 0
    while len(drawn) < k:
        added = False
        for label in labels:
            if depth < len(by_label[label]) and len(drawn) < k:
                drawn.append(by_label[label][depth])
                added = True
        if not added:
            break
        depth += 1
    rng.shuffle(drawn)  # no label order leaks into the prompt
    return drawn


def build_context(prompt: Prompt, example: Example, demonstrations: Sequence[Example],
                  label_names: list[str] | None = None) -> str:
    """Instruction, then each demonstration with its answer, then the example without its answer."""
    parts = [prompt.render(demo, label_names) + prompt.answer(demo.label) for demo in demonstrations]
    parts.append(prompt.render(example, label_names))
    body = prompt.demo_separator.join(parts)
    return f"{prompt.instruction}{prompt.demo_separator}{body}" if prompt.instruction else body
