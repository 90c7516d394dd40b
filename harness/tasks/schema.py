"""What a task definition holds once its YAML file has been read and checked.

The YAML format itself is documented in harness/tasks/builtin/README.md; `validate.py` turns a parsed
file into a TaskDef, `loaders.py` reads the data it describes (`load_split(task, split)`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.metrics import LABELS, METRICS, SCORES, TAGS
from harness.tasks import kinds
from harness.tasks.prompts import Prompt
from harness.tasks.specs import DataSpec, Fields, Fold, Holdout, HubSpec

# What a task of each kind predicts, so the metrics (input kinds) that can score it.
PREDICTIONS: dict[str, str] = {
    kinds.TEXT_CLASSIFICATION: LABELS,
    kinds.TEXT_PAIR_CLASSIFICATION: LABELS,
    kinds.REGRESSION: SCORES,
    kinds.TOKEN_CLASSIFICATION: TAGS,
}


def metrics_for(kind: str) -> list[str]:
    """Every registered metric (plugins too) that can score a task of `kind`, in registration order."""
    return [name for name, metric in METRICS.all().items() if metric.input_kind == PREDICTIONS[kind]]


@dataclass(frozen=True, eq=False)
class TaskDef:
    """A checked task definition. Equality and hashing go by name and content hash."""

    name: str
    suite: str
    kind: str
    description: str
    aliases: list[str]
    labels: list[str]  # raw label values as strings; index = class id (empty for regression)
    label_names: list[str]  # for humans; same order as labels
    num_labels: int  # len(labels), 1 for regression
    metrics: list[str]
    headline: str  # the headline metric
    max_length: int
    word_separator: str  # joins words into text ("" for Chinese characters)
    path: Path  # the YAML file
    hash: str  # sha256 of the canonical parsed content
    splits: list[str]  # every split the task can load
    train_split: str
    selection: str | Holdout  # a split name, or a holdout carved from train
    eval_splits: list[str]  # reported evaluation splits
    headline_split: str  # the evaluation split the headline comes from
    folds: list[Fold]
    fields: Fields
    drop_labels: list[str]  # rows with these raw labels are skipped (OCNLI's "-")
    score_range: tuple[float, float] | None  # regression only
    data: DataSpec | None
    hub: HubSpec | None
    prompts: list[Prompt] = field(default_factory=list)  # zero/few-shot prompts; the first is the default
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TaskDef) and (self.name, self.hash) == (other.name, other.hash)

    def __hash__(self) -> int:
        return hash((self.name, self.hash))

    @property
    def entity_types(self) -> list[str]:
        """Entity types of a token classification task, in tag-set order."""
        return list(dict.fromkeys(tag[2:] for tag in self.labels if tag != "O"))
