"""Data augmentation on the fly: each epoch, perturbed copies of training examples, seeded per (example, epoch).

    training = AugmentedTraining(examples, features, encode, sources, prob=0.5, copies=1, seed=0, labels=...)
    training.draw_epoch(3)        # the training loop calls it before drawing an epoch's batches

The set holds `1 + copies` slots per example. Slot 0 is the example itself, perturbed with
probability `prob`; every further slot is always a perturbed copy. A perturbed example goes
through one source drawn at random: one of the named perturbations, or one of the example's
paraphrases from an `--augment-file`. Every draw comes from an RNG seeded by (example id,
epoch, slot, run seed), so a rerun trains on the same texts, and labels follow the text (NER
perturbations keep one tag per word). Only training examples are ever augmented: the
selection split and the reported splits are encoded elsewhere, untouched.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Mapping, Sequence

from harness.encode import Features
from harness.perturb import Perturbation, make_rng, perturb_example
from harness.tasks import Example

Encode = Callable[[list[Example]], list[Features]]


class AugmentedTraining(Sequence):
    """The training features of one epoch, clean and perturbed; `draw_epoch` draws the next epoch's (not
    `set_epoch`: accelerate calls that on a dataset with its own 0-based count)."""

    def __init__(self, examples: Sequence[Example], features: Sequence[Features], encode: Encode,
                 perturbations: Sequence[Perturbation], *, prob: float, copies: int, seed: int,
                 labels: Sequence[str] | None = None, paraphrases: Mapping[str, Sequence[dict]] | None = None) -> None:
        self.examples, self.encode, self.perturbations = list(examples), encode, list(perturbations)
        self.prob, self.copies, self.seed, self.labels = prob, copies, seed, labels
        self.paraphrases = paraphrases or {}
        self.clean = list(features)
        self.items: list[Features] = self.clean * (1 + copies)  # until the first epoch is drawn
        self.epoch: int | None = None
        self.perturbed_count = 0

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]

    def lengths(self) -> list[int]:
        """Clean token lengths per slot: batches are grouped by them, so the batch order never depends on noise."""
        return [len(f) for f in self.clean] * (1 + self.copies)

    def draw_epoch(self, epoch: int) -> None:
        """Draw this epoch's perturbed examples (the same ones on every process and every rerun)."""
        if epoch == self.epoch:
            return
        slots, perturbed = [], []
        for copy in range(1 + self.copies):
            for i, example in enumerate(self.examples):
                rng = make_rng(f"{example.id}\x1fepoch {epoch}\x1fslot {copy}", self.seed, "augment")
                if copy == 0 and rng.random() >= self.prob:
                    continue
                slots.append(copy * len(self.examples) + i)
                perturbed.append(self._perturb(example, rng))
        items = self.clean * (1 + self.copies)
        for slot, features in zip(slots, self.encode(perturbed) if perturbed else []):
            items[slot] = features
        self.items, self.epoch, self.perturbed_count = items, epoch, len(slots)

    def _perturb(self, example: Example, rng: random.Random) -> Example:
        paraphrases = self.paraphrases.get(example.id, ())
        choice = rng.randrange(len(self.perturbations) + len(paraphrases))
        if choice >= len(self.perturbations):
            row = paraphrases[choice - len(self.perturbations)]
            return dataclasses.replace(example, text=row["text"], text_pair=row.get("text_pair", example.text_pair))
        return perturb_example(example, self.perturbations[choice], seed=rng.getrandbits(32), labels=self.labels)
