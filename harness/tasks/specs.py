"""The parts of a task definition: data files, hub dataset, fields, selection, folds.

Plain frozen dataclasses with no imports from the rest of the package, so the readers
(`formats.py`, `convert.py`, `hub.py`) can use them without importing `schema.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The holdout carved from train for model selection is drawn with this seed unless the
# task names its own, so every run and every method sees the same holdout.
DEFAULT_HOLDOUT_SEED = 1234


@dataclass(frozen=True)
class Holdout:
    """Model selection on examples held out of the train split (never on a reported split)."""

    max_examples: int
    fraction: float = 1.0
    seed: int = DEFAULT_HOLDOUT_SEED

    def size_for(self, train_size: int) -> int:
        """min(max_examples, fraction of train), at least 1 and leaving at least 1 to train on."""
        size = min(self.max_examples, int(round(self.fraction * train_size)))
        return max(1, min(size, train_size - 1))


@dataclass(frozen=True)
class Fold:
    """One fixed few-shot split pair (FewCLUE train_k / dev_k)."""

    train: str
    selection: str


@dataclass(frozen=True)
class Fields:
    """Which field of a data row holds what; None where the kind does not use it."""

    text: str | None = None
    text_pair: str | None = None
    label: str | None = None  # classification: the label field
    score: str | None = None  # regression: the score field
    words: str | None = None  # token classification: the words column (a list per sentence)
    tags: str | None = None  # token classification: the tags column (a list per sentence)
    spans: str | None = None  # token classification from character spans (CLUENER)
    id: str | None = None  # the data's own example id (unique per split); else ids are row positions


@dataclass(frozen=True)
class DataSpec:
    """The local files of a task: one file per split, all in one format."""

    format: str  # tsv | jsonl | conll
    files: dict[str, str]  # split -> path (relative to the data folder, ./ or ../ to the YAML, or absolute)
    encoding: str = "utf-8"
    header: bool = True  # tsv: the first line names the columns
    columns: tuple[str, ...] | None = None  # tsv without header / conll: column names in order


@dataclass(frozen=True)
class HubSpec:
    """Where the same data lives on the Hugging Face hub, and how its rows differ."""

    path: str
    name: str | None = None
    revision: str | None = None
    splits: dict[str, str] = field(default_factory=dict)  # harness split -> hub split
    fields: dict[str, str] = field(default_factory=dict)  # row field -> hub column
    labels: tuple[str, ...] | None = None  # hub class id -> raw label value

    def hub_split(self, split: str) -> str:
        return self.splits.get(split, split)

    def describe(self) -> str:
        return f"{self.path} ({self.name})" if self.name else self.path
