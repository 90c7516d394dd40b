"""The `evaluate:` metrics of recorded runs, for commands that score records without loading their tasks.

An evaluate metric is registered when its task file is read; `harness regress` reads only
records, so it loads each such record's task file (recorded as task.path) first, and refuses
one that changed since the run: its metric code may have changed with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.metrics import METRICS
from harness.metrics.evaluate_module import is_evaluate_name
from harness.tasks.validate import validate_task_file


def register_recorded_metrics(records: Iterable[Mapping[str, Any]]) -> None:
    """Register every evaluate metric the records were scored with; HarnessError in one line if one cannot be."""
    for record in records:
        task = record.get("task") or {}
        missing = [name for name in task.get("metrics") or [] if is_evaluate_name(name) and name not in METRICS]
        if not missing:
            continue
        path = task.get("path")
        run = record.get("run_id", "?")
        if not path or not Path(path).is_file():
            raise HarnessError(f"run {run} was scored with {missing[0]}, which its task file {path} names; that file "
                               "is gone: restore it to score this run again")
        if validate_task_file(path).hash != task.get("hash"):
            raise HarnessError(f"task file {path} changed since run {run} was scored with {missing[0]}: restore the "
                               f"task file it was recorded with (task hash {str(task.get('hash'))[:12]})")
