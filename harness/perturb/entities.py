"""Entity swaps for NER: an entity replaced by another entity of the same type.

Source: the entities of the task's own training split (`prepare(train, labels)` collects
them), so the replacement is a real name of the right type (a PER by a PER, a LOC by a
LOC) that the model may or may not have seen in context. The new span gets fresh IOB2 tags
(B-X, then I-X for each further word), so the entity count and types never change.
Token classification only: plain text carries no entity tags.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from harness.errors import HarnessError
from harness.metrics.entities import Span, entity_spans
from harness.perturb.base import Perturbation, choose
from harness.tasks.example import Example


def entity_pool(train: Sequence[Example], labels: Sequence[str]) -> dict[str, list[tuple[str, ...]]]:
    """Entity type -> its distinct mentions (as word tuples) in the training split, first seen first."""
    pool: dict[str, dict[tuple[str, ...], None]] = {}
    for example in train:
        if example.words is None or example.tags is None:
            raise HarnessError(f"entity swaps need a token classification training split; example "
                               f"{example.id} has no words and tags")
        for start, end, kind in entity_spans([labels[t] for t in example.tags]):
            pool.setdefault(kind, {})[tuple(example.words[start:end])] = None
    return {kind: list(mentions) for kind, mentions in pool.items()}


class EntitySwap(Perturbation):
    name, language, default_severity = "entity_swap", "en", 1.0
    family = "entities"
    description = "an entity replaced by another entity of the same type from the training split"
    source = "entities of the task's training split"
    unit = "entities"
    ner_safe = True
    needs_tags = True
    needs_training_data = True

    def __init__(self, severity: float | None = None) -> None:
        super().__init__(severity)
        self.pool: dict[str, list[tuple[str, ...]]] | None = None

    def prepare(self, train: Sequence[Example], labels: Sequence[str]) -> None:
        self.pool = entity_pool(train, labels)

    def perturb(self, text: str, rng: random.Random) -> str:
        raise HarnessError(f"perturbation {self.name} swaps tagged entities: it applies to token "
                           "classification tasks only")

    def eligible_units(self, text: str) -> int:
        return 0  # plain text has no tagged entities

    def _swappable(self, words: Sequence[str], span: Span) -> bool:
        mentions = self.pool.get(span[2], [])
        return len(mentions) > 1 or (len(mentions) == 1 and mentions[0] != tuple(words[span[0]:span[1]]))

    def perturb_words(self, words: list[str], tags: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
        if self.pool is None:
            raise HarnessError(f"perturbation {self.name} needs the task's training split: call "
                               "prepare(train_examples, labels) before perturbing")
        spans = [s for s in entity_spans(tags) if self._swappable(words, s)]
        new_words, new_tags = list(words), list(tags)
        for j in reversed(choose(rng, len(spans), self.severity)):  # right to left: earlier offsets stay valid
            start, end, kind = spans[j]
            current, mentions = tuple(words[start:end]), self.pool[kind]
            replacement = rng.choice(mentions)
            while replacement == current:
                replacement = rng.choice(mentions)
            new_words[start:end] = replacement
            new_tags[start:end] = [f"B-{kind}"] + [f"I-{kind}"] * (len(replacement) - 1)
        return new_words, new_tags


class ChineseEntitySwap(EntitySwap):
    name, language = "zh_entity_swap", "zh"
    description = "an entity replaced by another entity of the same type from the training split (characters)"


PERTURBATIONS: tuple[type[Perturbation], ...] = (EntitySwap, ChineseEntitySwap)
