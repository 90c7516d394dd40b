"""A view's tasks, metrics, splits and perturbations checked against the tasks known and the records found.

A task is known when a record names it or the task registry defines it (an alias resolves
to the task's name). A metric or split is valid when the task's definition or a record of
it lists it. Each problem is one HarnessError listing the valid names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from harness.board.columns import ATTACK_PREFIX, ROBUSTNESS, ColumnSpec, expand_perturbations
from harness.board.facts import perturbations_recorded
from harness.board.sources import Source, Sources
from harness.board.view import View
from harness.errors import HarnessError, unknown_name
from harness.tasks import TaskDef, list_tasks, load_task


class _Tasks:
    """What is known about each task: from its definition (when loadable) and from its records."""

    def __init__(self, sources: Sources, tasks_dirs: Iterable[Path] | None):
        self.sources = sources
        self.tasks_dirs = list(tasks_dirs or [])
        self.recorded = {s.task for s in sources.everything}
        self._defs: dict[str, TaskDef | None] = {}

    def definition(self, name: str) -> TaskDef | None:
        if name not in self._defs:
            try:
                self._defs[name] = load_task(name, self.tasks_dirs)
            except HarnessError:
                self._defs[name] = None
        return self._defs[name]

    def canonical(self, name: str) -> str:
        """The task's name as records hold it; HarnessError listing known tasks when unknown."""
        if name in self.recorded:
            return name
        found = self.definition(name)
        if found is not None:
            return found.name
        try:
            defined = [n for info in list_tasks(self.tasks_dirs) for n in (info.name, *info.aliases)]
        except HarnessError:
            defined = []
        raise unknown_name("task", name, {*self.recorded, *defined})

    def runs(self, task: str) -> list[Source]:
        return [s for s in self.sources.runs if s.task == task]

    def metrics(self, task: str) -> set[str]:
        found = {m for run in self.runs(task) for m in (run.record.get("task") or {}).get("metrics") or []}
        found |= {m for run in self.runs(task) for s in (run.record.get("metrics") or {}).values()
                  for m in (s.get("values") or {})}
        definition = self.definition(task)
        return found | set(definition.metrics if definition else ())

    def splits(self, task: str) -> set[str]:
        found = {split for run in self.runs(task) for split in run.record.get("metrics") or {}}
        definition = self.definition(task)
        return found | set(definition.eval_splits if definition else ())

    def perturbations(self, task: str, split: str | None) -> set[str]:
        return {name for run in self.runs(task) for name in perturbations_recorded(run, split)}


def _perturbation_names() -> set[str]:
    from harness.perturb import registry  # only views with robustness columns pay for the import

    return set(registry.names())


def _attack_figures() -> set[str]:
    from harness.attack import names  # only views with robustness columns pay for the import

    return {ATTACK_PREFIX + name for name in names()}


def resolve_columns(view: View, sources: Sources,
                    tasks_dirs: Iterable[Path] | None = None) -> tuple[list[ColumnSpec], dict[str, str]]:
    """The view's columns with task names made canonical and perturbation globs expanded (names checked),
    and the canonical name of each task a drops plot names."""
    tasks = _Tasks(sources, tasks_dirs)
    columns: list[ColumnSpec] = []
    for spec in view.columns:
        if spec.task is None:
            columns.append(spec)
            continue
        task = tasks.canonical(spec.task)
        spec = replace(spec, task=task, name=task if spec.kind == "task" else spec.name)
        if spec.kind in ("task", "robustness"):
            if spec.metric and spec.metric not in tasks.metrics(task):
                raise unknown_name(f"metric for task {task} in column '{spec.label}':", spec.metric,
                                   tasks.metrics(task))
            if spec.split and spec.split not in tasks.splits(task):
                raise unknown_name(f"evaluation split of task {task} in column '{spec.label}':", spec.split,
                                   tasks.splits(task))
        if spec.kind == "robustness" and spec.is_glob:
            expanded = expand_perturbations(spec, sorted(tasks.perturbations(task, spec.split)))
            columns += expanded  # a glob matching nothing recorded adds no column
            continue
        if spec.kind == "robustness" and spec.name not in ROBUSTNESS:
            known = _perturbation_names() | tasks.perturbations(task, spec.split) | _attack_figures()
            if spec.name not in known:
                raise unknown_name("robustness figure", spec.name, {*ROBUSTNESS, *known})
        columns.append(spec)
    plot_tasks = {plot.task: tasks.canonical(plot.task) for plot in view.plots if plot.task}
    return columns, plot_tasks
