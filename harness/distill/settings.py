"""The distillation options of a run: their declared ranges, defaults, and the spec entry they resolve to.

    entry = distill_entry(DistillRequest(teacher="86f40285", alpha=0.5), task, results="results", data_dir=None)
    # {"teacher": "86f4028533e35852", "alpha": 0.5, "temperature": 2.0}: part of the spec, so of the run id

The teacher is checked here (recorded, saved, same task, labels and data files), before anything
loads or trains, so a bad teacher costs nothing and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.ranges import DISTILL_ALPHA as ALPHA
from harness.ranges import EXAMPLES as UNLABELED_LIMIT
from harness.ranges import STUDENT_LAYERS, TEMPERATURE  # noqa: F401 (the flags read them here)
from harness.tasks import TaskDef, kinds

DEFAULT_ALPHA = 0.5
DEFAULT_TEMPERATURE = 2.0


@dataclass(frozen=True)
class DistillRequest:
    """What the user asked for (flags, a sweep file or the API), before checking."""

    teacher: str | None = None
    alpha: float | None = None
    temperature: float | None = None
    unlabeled: str | None = None
    unlabeled_limit: int | None = None
    hidden: str | None = None  # "auto" or "S:T,..." (harness.distill.hidden)

    def given(self) -> list[str]:
        names = {"alpha": "--distill-alpha", "temperature": "--distill-temperature",
                 "unlabeled": "--distill-unlabeled", "unlabeled_limit": "--distill-unlabeled-limit",
                 "hidden": "--distill-hidden"}
        return [flag for name, flag in names.items() if getattr(self, name) is not None]


def distill_entry(request: DistillRequest, task: TaskDef, *, trains: bool, results: Path | str,
                  data_dir: Path | None) -> dict[str, Any] | None:
    """The spec's `distill` entry (None without a teacher); HarnessError naming the first option that is wrong."""
    if request.teacher is None:
        if request.given():
            raise HarnessError(f"{request.given()[0]} needs a teacher: add --distill-from RUN_ID")
        return None
    if not trains:
        raise HarnessError("--distill-from trains a student: use a method that trains (full, lora, ...)")
    entry: dict[str, Any] = {"alpha": ALPHA.check("--distill-alpha", _or(request.alpha, DEFAULT_ALPHA))}
    if task.kind == kinds.REGRESSION:
        if request.temperature is not None:
            raise HarnessError("--distill-temperature does not apply to a regression task (the student learns the "
                               "teacher's value by squared error); drop it")
    else:
        entry["temperature"] = TEMPERATURE.check("--distill-temperature", _or(request.temperature, DEFAULT_TEMPERATURE))
    if request.unlabeled_limit is not None and request.unlabeled is None:
        raise HarnessError("--distill-unlabeled-limit needs --distill-unlabeled SPLIT_OR_FILE")
    if request.unlabeled is not None:
        entry.update(_unlabeled(request, task))
    from harness.distill.hidden import (
        check_pairs_text,  # loads torch: only when distilling
    )
    from harness.distill.teacher import find_teacher
    from harness.record.store import ResultStore

    if request.hidden is not None:
        entry["hidden"] = check_pairs_text(request.hidden)
    teacher = find_teacher(ResultStore(results), request.teacher, task, data_dir)
    if request.hidden is not None and teacher.kind == "ensemble":
        raise HarnessError(f"--distill-hidden: teacher {teacher.run_id} is an output ensemble, which has no hidden "
                           "states of its own; match hidden states of a single run or a merge")
    return {"teacher": teacher.run_id, **entry}


def _unlabeled(request: DistillRequest, task: TaskDef) -> dict[str, Any]:
    from harness.distill.unlabeled import file_fingerprint, is_file_source, read_file

    source = request.unlabeled
    entry: dict[str, Any] = {"unlabeled": source}
    if is_file_source(source, task):
        entry["unlabeled_sha256"] = file_fingerprint(source)
        read_file(Path(source), task)  # its lines are checked now, not after training has started
    if request.unlabeled_limit is not None:
        entry["unlabeled_limit"] = UNLABELED_LIMIT.check("--distill-unlabeled-limit", request.unlabeled_limit)
    return entry


def _or(value, default):
    return default if value is None else value
