"""Suite scores computed the official way: one number per task, then their unweighted mean.

GLUE (Wang et al., 2019): a task with two official metrics contributes their average
(MRPC and QQP: F1 and accuracy; STS-B: Pearson and Spearman), CoLA its Matthews
correlation, MNLI the mean of its matched and mismatched accuracy (whichever of the two is
recorded when only one is), every other task its accuracy; the GLUE score is the mean of
the nine task scores. CLUE: the mean of the headline metrics of the suite's tasks in this
harness (harness/tasks/builtin/clue: AFQMC accuracy, OCNLI accuracy, CLUENER entity F1).

Pure arithmetic on recorded values (0-1 scale, as the records hold them): no records, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from harness.errors import unknown_name

SplitValues = Mapping[str, Mapping[str, float | None]]  # split -> metric -> value, as record["metrics"] holds


@dataclass(frozen=True)
class SuiteTask:
    """What one task contributes: the mean over `splits` (None: the headline split) of the mean of `metrics`."""

    task: str
    metrics: tuple[str, ...]
    splits: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Suite:
    name: str
    title: str
    tasks: tuple[SuiteTask, ...]

    @property
    def task_names(self) -> tuple[str, ...]:
        return tuple(part.task for part in self.tasks)

    def part(self, task: str) -> SuiteTask | None:
        return next((part for part in self.tasks if part.task == task), None)


@dataclass(frozen=True)
class SuiteScore:
    """The suite score of one leaderboard row; `value` is None unless every task is present."""

    value: float | None
    present: tuple[str, ...]
    missing: tuple[str, ...]
    partial_mean: float | None  # mean over the tasks present: shown for information, never ranked

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def coverage(self) -> str:
        """'7/9 tasks'."""
        return f"{len(self.present)}/{len(self.present) + len(self.missing)} tasks"


GLUE = Suite("glue", "GLUE score", (
    SuiteTask("cola", ("matthews_correlation",)),
    SuiteTask("sst2", ("accuracy",)),
    SuiteTask("mrpc", ("f1", "accuracy")),
    SuiteTask("stsb", ("pearson", "spearman")),
    SuiteTask("qqp", ("f1", "accuracy")),
    SuiteTask("mnli", ("accuracy",), ("validation_matched", "validation_mismatched")),
    SuiteTask("qnli", ("accuracy",)),
    SuiteTask("rte", ("accuracy",)),
    SuiteTask("wnli", ("accuracy",)),
))

CLUE = Suite("clue", "CLUE score", (
    SuiteTask("afqmc", ("accuracy",)),
    SuiteTask("ocnli", ("accuracy",)),
    SuiteTask("cluener", ("entity_f1",)),
))

SUITES: dict[str, Suite] = {suite.name: suite for suite in (GLUE, CLUE)}


def get_suite(name: str) -> Suite:
    if name not in SUITES:
        raise unknown_name("suite", name, SUITES)
    return SUITES[name]


def _finite(value: float | None) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def task_score(part: SuiteTask, metrics: SplitValues, headline_split: str) -> float | None:
    """One run's contribution to the suite, or None when a metric it needs was not recorded.

    With several splits (MNLI matched/mismatched), the splits recorded are averaged; a
    split that is recorded must hold every metric of the task.
    """
    splits = part.splits or (headline_split,)
    per_split = []
    for split in splits:
        values = metrics.get(split)
        if values is None:
            continue
        picked = [values.get(metric) for metric in part.metrics]
        if not all(_finite(value) for value in picked):
            return None
        per_split.append(sum(picked) / len(picked))  # type: ignore[arg-type]
    return sum(per_split) / len(per_split) if per_split else None


def suite_score(suite: Suite, task_scores: Mapping[str, float | None]) -> SuiteScore:
    """The suite's score from one score per task (already averaged over seeds); missing tasks make it partial."""
    present = tuple(t for t in suite.task_names if _finite(task_scores.get(t)))
    missing = tuple(t for t in suite.task_names if t not in present)
    partial = sum(task_scores[t] for t in present) / len(present) if present else None  # type: ignore[misc]
    return SuiteScore(value=None if missing else partial, present=present, missing=missing, partial_mean=partial)


def per_seed_scores(suite: Suite, by_task: Mapping[str, Mapping[int, float]]) -> dict[int, float]:
    """Suite score per seed, for the seeds every task of the suite was run with (their spread is the std)."""
    if not all(by_task.get(task) for task in suite.task_names):
        return {}
    seeds: set[int] = set.intersection(*(set(by_task[task]) for task in suite.task_names))
    return {seed: sum(by_task[task][seed] for task in suite.task_names) / len(suite.tasks) for seed in sorted(seeds)}

