"""The remedies of one fine-tuning run, ready to train with, and what its record keeps about them.

    remedies = Remedies.prepare(spec, task, data, data_dir)       # names resolved, paraphrases read and checked
    features = remedies.training_features(examples, features, encode)   # augmented each epoch, or as they were
    adversary = remedies.adversary()                               # None, or the step train() runs per batch
    record["remedy"] = remedies.facts()

Which perturbations augmentation used ("seen") is decided here, from the task's language, and
the robustness report splits its worst case by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.encode import Features
from harness.perturb import Perturbation, resolve
from harness.remedy.adversarial import Adversary
from harness.remedy.augment import AugmentedTraining, Encode
from harness.remedy.paraphrases import check_ids, read_paraphrases
from harness.robustness.perturbed import task_language
from harness.spec import RunSpec
from harness.tasks import Example, TaskData, TaskDef


def seen_perturbations(remedy: dict[str, Any] | None, task: TaskDef, examples: Sequence[Example]) -> list[str]:
    """The names of the perturbations a run's augmentation trained on (none without augmentation)."""
    augment = (remedy or {}).get("augment") or {}
    if not augment.get("perturbations"):
        return []
    return [p.name for p in resolve(augment["perturbations"], kind=task.kind, language=task_language(task, examples))]


@dataclass
class Remedies:
    settings: dict[str, Any]  # the spec's remedy entry
    perturbations: list[Perturbation] = field(default_factory=list)
    paraphrases: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    labels: list[str] | None = None
    seed: int = 0
    augmented: AugmentedTraining | None = None

    @classmethod
    def prepare(cls, spec: RunSpec, task: TaskDef, data: TaskData, data_dir: Path | None) -> Remedies:
        settings = spec.remedy or {}
        augment = settings.get("augment") or {}
        perturbations, labels = [], list(task.labels) or None
        if augment.get("perturbations"):
            perturbations = resolve(augment["perturbations"], kind=task.kind, language=task_language(task, data.train))
            for perturbation in perturbations:
                if perturbation.needs_training_data:
                    perturbation.prepare(data.train, labels)
        paraphrases = {}
        if "file" in augment:
            from harness.tasks.loaders import load_split

            path = augment["file"]["path"]
            paraphrases = read_paraphrases(Path(path), task)
            check_ids(paraphrases, load_split(task, task.train_split, data_dir), path)
        return cls(settings, perturbations, paraphrases, labels, spec.seed)

    def training_features(self, examples: Sequence[Example], features: Sequence[Features],
                          encode: Encode) -> Sequence[Features]:
        augment = self.settings.get("augment")
        if not augment:
            return features
        self.augmented = AugmentedTraining(examples, features, encode, self.perturbations, prob=augment["prob"],
                                           copies=augment["copies"], seed=self.seed, labels=self.labels,
                                           paraphrases=self.paraphrases)
        return self.augmented

    def adversary(self) -> Adversary | None:
        entry = self.settings.get("adversarial")
        return Adversary.from_entry(entry) if entry else None

    def facts(self) -> dict[str, Any] | None:
        """The record's `remedy` section: the settings, and what augmentation drew (seen perturbations, counts)."""
        if not self.settings:
            return None
        facts: dict[str, Any] = {**self.settings}
        if self.augmented is not None:
            facts["augment"] = {**self.settings["augment"], "seen": [p.name for p in self.perturbations],
                                "slots_per_epoch": len(self.augmented),
                                "perturbed_last_epoch": self.augmented.perturbed_count,
                                "examples_with_paraphrases": len(self.paraphrases)}
        return facts
