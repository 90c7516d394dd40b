"""What `harness tasks validate FILE --data-dir DIR` reports about a task's data: every split opened and read
the way a run reads it, so a misspelt file or field fails here rather than at `harness run`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from harness.tasks import kinds
from harness.tasks.loaders import load_split, path_rule, split_path
from harness.tasks.schema import TaskDef


@dataclass(frozen=True)
class SplitReport:
    split: str
    rule: str  # how its file name was resolved
    path: Path | None
    examples: int | None  # None: not read (the hub, or no data folder to read it from)
    unseen_labels: tuple[str, ...] = ()  # classification: labels of the set no example has


def inspect_splits(task: TaskDef, data_dir: str | Path | None) -> list[SplitReport]:
    """One report per split; HarnessError (one line, naming file and line) for the first split that cannot
    be read: a missing file, a missing field, a label outside the set."""
    reports = []
    for split in task.splits:
        rule = path_rule(task, split)
        written = task.data.files.get(split, "") if task.data is not None else ""
        path = split_path(task, split, data_dir) if written else None
        if path is None:  # the hub, or a data folder not given: reading it here would need the network or guess
            reports.append(SplitReport(split, rule, None, None))
            continue
        examples = load_split(task, split, data_dir)
        unseen: tuple[str, ...] = ()
        if task.kind in kinds.CLASSIFICATION_KINDS:
            counts = Counter(example.label for example in examples)
            unseen = tuple(label for i, label in enumerate(task.labels) if counts[i] == 0)
        reports.append(SplitReport(split, rule, path, len(examples), unseen))
    return reports
