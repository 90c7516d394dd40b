"""A recorded run found by its id and read back with the spec and task it was recorded with."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, did_you_mean
from harness.record.store import ResultStore
from harness.spec import RunSpec
from harness.tasks import TaskDef, load_task


def find_record(results: Path, run_id: str) -> Path:
    """The record file of `run_id` (or of a unique prefix of it) in any task folder."""
    found = ResultStore(results).find(run_id)
    if len(found) == 1:
        return found[0]
    if found:
        raise HarnessError(f"run id {run_id} matches {len(found)} runs in {results}; give more of it")
    known = [p.stem for p in results.glob("*/*.json")]
    raise HarnessError(f"no run {run_id} recorded in {results}{did_you_mean(run_id, known)}; "
                       "check the run id and --results")


def read_run(path: Path, tasks_dirs: list[Path] | None = None) -> tuple[dict[str, Any], RunSpec, TaskDef]:
    """A recorded run's record, spec and task, the task checked to be the one it was recorded with."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        spec = RunSpec(**{f.name: record["spec"][f.name] for f in fields(RunSpec) if f.name in record["spec"]})
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise HarnessError(f"run record {path} cannot be read as a run ({type(exc).__name__}); "
                           "`harness results check` says what is wrong with it") from None
    task = load_task(spec.task, tasks_dirs)
    if task.hash != record["task"]["hash"]:
        raise HarnessError(f"the definition of task {task.name} changed since run {record['run_id']} was recorded; "
                           "it cannot be repeated as it was: restore the task file it was recorded with (task hash "
                           f"{record['task']['hash'][:12]}), or run it again under the new definition")
    return record, spec, task
