"""Suite-score cells of a leaderboard: per row, each task's official score averaged over seeds, then suites.py.

A row missing tasks gets a partial cell ("7/9 tasks", never ranked). A row holding one task
under two task definitions or metric versions gets no score (the note says so); when
different rows used different versions of a task, the column is split as for any column.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from harness.board.cells import Cell, aggregate, t_interval, version_reasons
from harness.board.columns import ColumnSpec
from harness.board.facts import Fact, Version, suite_contribution
from harness.board.sources import Source
from harness.board.suites import Suite, get_suite, per_seed_scores, suite_score

ByTask = dict[str, dict[Version, list[tuple[Fact, Source]]]]


class _Row(Protocol):
    cells: dict[str, Cell]
    sources: list[Source]


def _by_task(suite: Suite, row: _Row) -> ByTask:
    found: ByTask = defaultdict(lambda: defaultdict(list))
    for run in row.sources:
        part = suite.part(run.task) if run.kind == "run" else None
        fact = suite_contribution(part, run) if part else None
        if fact is not None:
            found[run.task][fact.version].append((fact, run))
    return found


def _cell(suite: Suite, by_task: ByTask, how: str) -> Cell:
    run_ids = tuple(run.run_id for versions in by_task.values() for facts in versions.values() for _, run in facts)
    mixed = [task for task, versions in by_task.items() if len(versions) > 1]
    if mixed:
        return Cell(None, run_ids=run_ids, note=f"{', '.join(mixed)} recorded under several task definitions or "
                                                 "metric versions: no suite score")
    facts = {task: next(iter(versions.values())) for task, versions in by_task.items()}
    means = {task: aggregate([(f, run.run_id) for f, run in items], how).value for task, items in facts.items()}
    score = suite_score(suite, means)
    details = {task: float(means[task]) for task in score.present}  # type: ignore[arg-type]
    if not score.complete:
        return Cell(None, run_ids=run_ids, partial=score.coverage, partial_mean=score.partial_mean, details=details)
    seeds: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for task, items in facts.items():
        for fact, run in items:
            if run.seed is not None:
                seeds[task][run.seed].append(fact.value)
    per_seed = per_seed_scores(suite, {t: {s: statistics.fmean(v) for s, v in by.items()} for t, by in seeds.items()})
    values = tuple(per_seed.values())
    return Cell(score.value, statistics.stdev(values) if len(values) > 1 else None,
                min(len(items) for items in facts.values()), values, run_ids, t_interval(values),
                "95% t-interval over the seeds every task ran" if len(values) > 1 else "", details=details)


def suite_cells(spec: ColumnSpec, rows: Sequence[_Row], how: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Fill each row's suite cell; the columns made ((label, version reason), ...) and notes."""
    suite = get_suite(spec.name)
    found = [(row, _by_task(suite, row)) for row in rows]
    found = [(row, by_task) for row, by_task in found if by_task]
    if not found:
        return [], [f"{spec.label}: no run of a {suite.name} task recorded (left out)"]
    across: dict[str, set[Version]] = defaultdict(set)
    for _, by_task in found:
        for task, versions in by_task.items():
            across[task] |= set(versions)
    differing = [task for task in suite.task_names if len(across[task]) > 1]

    def signature(by_task: ByTask) -> Version:
        pairs = []
        for task in differing:
            versions = list(by_task.get(task) or {})
            if len(versions) == 1:
                pairs += [(f"{task} {what}", value) for what, value in versions[0]]
        return tuple(pairs)

    signatures = list(dict.fromkeys(signature(by_task) for _, by_task in found))
    reasons = version_reasons(signatures) if len(signatures) > 1 else [""]
    label_of = {sig: f"{spec.label} [{reason}]" if reason else spec.label for sig, reason in zip(signatures, reasons)}
    partial = False
    for row, by_task in found:
        cell = _cell(suite, by_task, how)
        partial |= cell.partial is not None
        row.cells[label_of[signature(by_task)]] = cell
    notes = []
    if len(signatures) > 1:
        notes.append(f"{spec.label}: rows scored on different versions of {', '.join(differing)} are split "
                     f"into {len(signatures)} columns")
    if partial:
        notes.append(f"{spec.label}: a row without all {len(suite.tasks)} tasks ({', '.join(suite.task_names)}) "
                     "shows how many it has and is never ranked against complete rows")
    return [(label_of[sig], reason) for sig, reason in zip(signatures, reasons)], notes
