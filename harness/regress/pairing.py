"""One configuration per task on each side, and the check that the two sides may be compared.

Within a side, every run of a task must be the same spec apart from the seed (several
seeds are one measurement, anything else is ambiguous: narrow it with a filter). A baseline
that holds several configurations of a task (a published results folder) is narrowed to the
one the candidate ran, when it holds exactly that configuration. Across
sides the model, method and training may differ (that is what a release changes), but the
task definition and the prompt may not: a score on another version of a task is another
number, not a regression.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError
from harness.regress.selection import Run

_SHOWN = 4  # configurations named in an error before "..."
_VALUE_CHARS = 60  # of a setting shown in an error


@dataclass(frozen=True)
class TaskRuns:
    """The runs one side has for one task: one spec, one task version, by seed."""

    task: str
    by_seed: dict[int, Run]

    @property
    def first(self) -> Run:
        return next(iter(self.by_seed.values()))

    @property
    def task_hash(self) -> str | None:
        return self.first.record["task"].get("hash")

    @property
    def prompt_hash(self) -> str | None:
        return self.first.record["spec"].get("prompt_hash")

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(self.by_seed)

    @property
    def label(self) -> str:
        """'minilm · full · seeds 0, 1, 2'."""
        spec = self.first.record["spec"]
        seeds = ", ".join(str(s) for s in self.seeds)
        return f"{spec['model']} · {spec['method']} · seed{'s' if len(self.seeds) > 1 else ''} {seeds}"

    def metric_names(self) -> dict[str, list[str]]:
        """{split: [metric, ...]} as the runs recorded them."""
        return metric_names([self.first])


def _config(run: Run) -> dict[str, Any]:
    """The spec without its seed, nested settings flattened (training.lr) so an error names what differs."""
    config: dict[str, Any] = {}
    for key, value in run.record["spec"].items():
        if isinstance(value, dict):
            config.update({f"{key}.{inner}": item for inner, item in value.items()})
        elif key != "seed":
            config[key] = value
    return {**config, "task hash": run.record["task"].get("hash")}


def _differing(configs: Sequence[dict[str, Any]]) -> list[str]:
    keys = sorted({key for config in configs for key in config})
    return [key for key in keys
            if len({json.dumps(c.get(key), sort_keys=True, default=str) for c in configs}) > 1]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text[:12] if isinstance(value, str) and len(text) == 64 else text  # hashes: a prefix is enough


def _config_label(run: Run, differing: Sequence[str]) -> str:
    """'minilm lora', plus what else tells it apart when model and method do not: 'minilm lora (lr=0.001)'."""
    spec = run.record["spec"]
    label = f"{spec['model']} {spec['method']}"
    if {"model", "method"} & set(differing):
        return label
    config = _config(run)
    shown = ", ".join(f"{key}={_short(config.get(key))[:_VALUE_CHARS]}" for key in differing[:2])
    return f"{label} ({shown})"


def _config_key(run: Run) -> str:
    return json.dumps(_config(run), sort_keys=True, default=str)


def _one_config(task: str, runs: Sequence[Run], side: str, like: TaskRuns | None) -> TaskRuns:
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(_config_key(run), []).append(run)
    if len(groups) > 1 and like is not None and _config_key(like.first) in groups:
        groups = {key: group for key, group in groups.items() if key == _config_key(like.first)}
    if len(groups) > 1:
        firsts = [group[0] for group in groups.values()]
        keys = _differing([_config(run) for run in firsts])
        if keys == ["task hash"]:
            named = ", ".join(f"{_short(r.record['task'].get('hash'))} in run {r.run_id}" for r in firsts[:_SHOWN])
            raise HarnessError(f"the {side} holds runs of {len(firsts)} versions of task {task} (task hash {named}); "
                               f"keep the runs of one version in the {side}")
        shown = ", ".join(_config_label(run, keys) for run in firsts[:_SHOWN])
        shown += ", ..." if len(firsts) > _SHOWN else ""
        differ = ", ".join(keys[:_SHOWN]) + (", ..." if len(keys) > _SHOWN else "")
        unmatched = f", none of them the candidate's ({_config_label(like.first, keys)})" if like is not None else ""
        raise HarnessError(f"the {side} holds {len(firsts)} different configurations of {task} ({shown}; they "
                           f"differ in {differ}){unmatched}; narrow it with --model/--method (prefix a value with "
                           f"{side}: for this side only) or pass record files")
    by_seed: dict[int, Run] = {}
    for run in next(iter(groups.values())):
        other = by_seed.get(run.seed)
        if other is not None and other.run_id != run.run_id:
            raise HarnessError(f"the {side} holds two runs of {task} with seed {run.seed} ({other.path}, {run.path}); "
                               "keep one")
        by_seed.setdefault(run.seed, run)
    return TaskRuns(task, dict(sorted(by_seed.items())))


def runs_by_task(runs: Sequence[Run]) -> dict[str, list[Run]]:
    by_task: dict[str, list[Run]] = {}
    for run in runs:
        by_task.setdefault(run.task, []).append(run)
    return dict(sorted(by_task.items()))


def group_by_task(runs: Sequence[Run], side: str, like: dict[str, TaskRuns] | None = None) -> dict[str, TaskRuns]:
    """{task: its runs}; refuses a side holding several configurations or versions of one task, unless `like`
    (the other side) ran that task and exactly one of them is its configuration."""
    return {task: _one_config(task, task_runs, side, (like or {}).get(task))
            for task, task_runs in runs_by_task(runs).items()}


def metric_names(runs: Sequence[Run]) -> dict[str, list[str]]:
    """{split: [metric, ...]} over every run given, in recorded order."""
    names: dict[str, list[str]] = {}
    for run in runs:
        for split, scores in run.record["metrics"].items():
            names.setdefault(split, [])
            names[split] += [m for m in (scores or {}).get("values", {}) if m not in names[split]]
    return names


def check_comparable(baseline: TaskRuns, candidate: TaskRuns) -> None:
    """Refuse, naming both runs, when the sides ran different task versions or prompts."""
    b, c = baseline.first, candidate.first
    if baseline.task_hash != candidate.task_hash:
        raise HarnessError(
            f"task {baseline.task} differs between the sides: baseline run {b.run_id} used task hash "
            f"{_short(baseline.task_hash)}, candidate run {c.run_id} used {_short(candidate.task_hash)}; "
            "scores on different task versions are not comparable: rerun one side with the other's task definition"
        )
    # a prompted run against a fine-tuned one is a real release change; two different prompts are not comparable
    if baseline.prompt_hash and candidate.prompt_hash and baseline.prompt_hash != candidate.prompt_hash:
        raise HarnessError(
            f"task {baseline.task} was prompted differently: baseline run {b.run_id} used prompt hash "
            f"{_short(baseline.prompt_hash)}, candidate run {c.run_id} used {_short(candidate.prompt_hash)}; "
            "compare runs made with the same prompt"
        )
