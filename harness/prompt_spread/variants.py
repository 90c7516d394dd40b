"""The variants a spread scores: every chosen prompt, in each of its formats, with each demonstration draw.

    variants = plan_variants(task, entry, train, k=8, balanced=False, seed=0)
    variants[0]      # the base: the first prompt as written with draw 0, what a single-prompt run scores

A variant's name is `prompt/format` (plus `/draw N` for few-shot), and its `hash` is the hash of
the prompt text it renders, so two runs' variants pair up only when they scored the same text.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from harness.errors import HarnessError
from harness.prompt_spread.registry import apply_format, draw_formats
from harness.prompting.demonstrations import draw_demonstrations
from harness.tasks import Example, TaskDef
from harness.tasks.prompts import Prompt, find_prompt

_ENUMERATE_BELOW = 10_000  # distinct draws counted and listed exactly below this many


@dataclass(frozen=True)
class Variant:
    prompt_name: str
    format: str
    draw: int
    prompt: Prompt  # the prompt with the format applied
    demos: tuple[Example, ...]

    @property
    def name(self) -> str:
        return f"{self.prompt_name}/{self.format}" + (f"/draw {self.draw}" if self.draw else "")

    @property
    def hash(self) -> str:
        return self.prompt.hash

    @property
    def context_key(self) -> tuple:
        """Variants with the same key render the same contexts: they differ only in their answer words."""
        p = self.prompt
        return (p.template, p.instruction, p.demo_separator, p.target_delimiter, self.draw)

    def describe(self) -> dict:
        return {"name": self.name, "prompt": self.prompt_name, "format": self.format, "draw": self.draw,
                "prompt_hash": self.hash, "template": self.prompt.template, "choices": list(self.prompt.choices),
                "demonstration_ids": [demo.id for demo in self.demos]}


def plan_variants(task: TaskDef, entry: dict, train: Sequence[Example], *, k: int, balanced: bool, seed: int
                  ) -> list[Variant]:
    """Every (prompt, format, draw) of the spec's `prompt_spread` entry, the base first."""
    draws = demonstration_draws(train, k, entry.get("demo_draws", 1), seed, balanced=balanced,
                                source=f"the training split of {task.name}")
    variants = []
    for name in entry["prompts"]:
        prompt = find_prompt(task.prompts, name, task.name)
        for form in draw_formats(prompt, entry.get("formats", 1), seed):
            changed = apply_format(form, prompt)
            variants += [Variant(name, form.name, d, changed, tuple(demos)) for d, demos in enumerate(draws)]
    return variants


def demonstration_draws(train: Sequence[Example], k: int, n: int, seed: int, *, balanced: bool = False,
                        source: str = "the training split") -> list[list[Example]]:
    """n distinct ordered draws of k demonstrations; the first is a single-prompt run's draw with the seed."""
    if k == 0:
        if n > 1:
            raise HarnessError(f"--demo-draws {n} needs demonstrations: use --method few-shot (zero-shot has none)")
        return [[]]
    first = draw_demonstrations(train, k, seed, balanced=balanced, source=source)
    if n == 1:
        return [first]
    possible = math.perm(len(train), k)
    if n > possible:
        raise HarnessError(f"--demo-draws {n}: {source} ({len(train)} examples) allows only {possible} distinct "
                           f"ordered draws of k = {k} demonstrations; lower --demo-draws to {possible} or less")
    drawn, seen = [first], {tuple(demo.id for demo in first)}
    if possible < _ENUMERATE_BELOW:  # few enough to list: take them in a seeded order, never looping in vain
        pool = sorted(train, key=lambda example: example.id)
        orders = list(itertools.permutations(pool, k))
        random.Random(f"demonstration-draws:{seed}").shuffle(orders)
        candidates = iter(list(order) for order in orders)
    else:
        candidates = (draw_demonstrations(train, k, f"{seed}:draw {i}", balanced=balanced, source=source)
                      for i in itertools.count(1))
    for demos in itertools.islice(candidates, 1000 * n):
        key = tuple(demo.id for demo in demos)
        if key not in seen:
            drawn.append(demos)
            seen.add(key)
            if len(drawn) == n:
                return drawn
    raise HarnessError(f"--demo-draws {n}: only {len(drawn)} distinct draws of k = {k} found in {source}"
                       f"{' with --few-shot-balanced' if balanced else ''}; lower --demo-draws")
