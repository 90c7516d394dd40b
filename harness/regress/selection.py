"""Which recorded runs each side of a regression check contributes.

A side is named by a run record file, a results folder (every record in it, laid out as
<folder>/<task>/<run_id>.json or <folder>/<run_id>.json), or a run id looked up in the
results folder. Filters then narrow it. `select_runs` takes any list of runs, so a
leaderboard view can hand over its runs in place of a folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.board.sources import matches, run_keys
from harness.board.view import View
from harness.errors import HarnessError, did_you_mean
from harness.record.store import (
    SPREAD_SUFFIX,
    UNREADABLE_ROWS,
    ResultStore,
    open_rows,
    predictions_beside,
)

Record = dict[str, Any]
SIDES = ("baseline", "candidate")

# what a filter matches on: flag name -> how to read it from a record
FILTER_FIELDS: dict[str, Callable[[Record], str]] = {
    "task": lambda r: str(r["task"]["name"]),
    "model": lambda r: str(r["spec"]["model"]),
    "method": lambda r: str(r["spec"]["method"]),
}


@dataclass(frozen=True)
class Run:
    """One recorded run: its record and the file it came from (its predictions lie beside it)."""

    record: Record
    path: Path

    @property
    def run_id(self) -> str:
        return str(self.record["run_id"])

    @property
    def task(self) -> str:
        return str(self.record["task"]["name"])

    @property
    def seed(self) -> int:
        return int(self.record["spec"]["seed"])

    @property
    def predictions_path(self) -> Path:
        return predictions_beside(self.path)

    def load_spread(self) -> list[dict[str, Any]]:
        """Per prompt variant and split, the predictions of a run with a prompt spread (harness.prompt_spread)."""
        return self._rows(self.path.with_name(f"{self.run_id}{SPREAD_SUFFIX}"), "the prompt variants' predictions",
                          "copy the file along with the record, or rerun the run with --force")

    def load_predictions(self) -> list[dict[str, Any]]:
        return self._rows(self.predictions_path, "the predictions",
                          "the gate needs each record's predictions file (.predictions.jsonl.gz) beside it: copy it "
                          "along or rerun the run with --force")

    def _rows(self, path: Path, what: str, fix: str) -> list[dict[str, Any]]:
        """The JSON rows of a file beside the record; a one-line error naming it when it cannot be read."""
        try:
            with open_rows(path) as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except UNREADABLE_ROWS as exc:
            raise HarnessError(f"{what} of run {self.run_id} ({path}) cannot be read ({type(exc).__name__}); "
                               f"{fix}") from None


def _read_record(path: Path) -> Record | None:
    """The record in `path`; None when it is JSON but not a run record; HarnessError when unreadable."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HarnessError(f"run record {path} cannot be read ({type(exc).__name__}); "
                           "fix or remove it (a gate does not skip a broken record)") from None
    if not isinstance(record, dict) or not {"run_id", "spec", "task", "metrics"} <= record.keys():
        return None
    return record


def _read_folder(folder: Path) -> list[Run]:
    files = sorted({*folder.glob("*.json"), *folder.glob("*/*.json")})
    runs = []
    for path in files:
        record = _read_record(path)
        if record is not None:  # other JSON (reports, configs) may live in a results folder
            runs.append(Run(record, path))
    return runs


def _by_run_id(run_id: str, results: Path, flag: str) -> list[Run]:
    if not results.is_dir():
        raise HarnessError(f"{flag} {run_id}: not a record file or folder, and there is no results folder "
                           f"{results} to look the run id up in; pass a path, or --results DIR")
    found = ResultStore(results).find(run_id)
    if len(found) == 1:
        record = _read_record(found[0])
        if record is not None:
            return [Run(record, found[0])]
    if len(found) > 1:
        raise HarnessError(f"{flag} {run_id}: several runs in {results} start with it "
                           f"({', '.join(p.stem for p in found[:4])}); give more of the run id")
    known = [p.stem for p in results.glob("*/*.json")]
    raise HarnessError(f"{flag} {run_id}: no such record file or folder, nor a run id in {results}"
                       f"{did_you_mean(run_id, known)}; pass a path, or --results DIR")


def load_side(source: str, results: Path, side: str) -> list[Run]:
    """The runs `source` names: a record file, a folder of records, or a run id in `results`."""
    flag = f"--{side}"
    path = Path(source)
    if path.is_file():
        record = _read_record(path)
        if record is None:
            raise HarnessError(f"{flag} {source}: not a run record (no run_id, spec, task or metrics); "
                               "pass a record written by `harness run`, or a results folder")
        return [Run(record, path)]
    if path.is_dir():
        runs = _read_folder(path)
        if not runs:
            raise HarnessError(f"{flag} {source}: no run records in this folder (looked for <task>/<run_id>.json "
                               "and <run_id>.json); run the tasks into it first")
        return runs
    return _by_run_id(source, results, flag)


def parse_filters(raw: Mapping[str, Sequence[str]]) -> dict[str, dict[str, frozenset[str]]]:
    """{side: {field: allowed values}} from flag values such as "lora", "full,lora" or "candidate:lora".

    A value prefixed with "baseline:" or "candidate:" narrows that side only, so one side can
    pick model A and the other model B from the same folder.
    """
    out: dict[str, dict[str, set[str]]] = {side: {} for side in SIDES}
    for field, values in raw.items():
        if field not in FILTER_FIELDS:
            raise HarnessError(f"unknown filter {field} (valid: {', '.join(FILTER_FIELDS)})")
        for value in values:
            sides: tuple[str, ...] = SIDES
            prefix, sep, rest = value.partition(":")
            if sep and prefix in SIDES:
                sides, value = (prefix,), rest
            names = {name.strip() for name in value.split(",") if name.strip()}
            if not names:
                raise HarnessError(f"--{field} {value!r}: give a name, e.g. --{field} NAME or "
                                   f"--{field} candidate:NAME")
            for side in sides:
                out[side].setdefault(field, set()).update(names)
    return {side: {field: frozenset(names) for field, names in fields.items()} for side, fields in out.items()}


def select_view_runs(runs: Sequence[Run], view: View, side: str) -> list[Run]:
    """The runs a leaderboard view's `runs:` filters accept (model, method, task, variant globs)."""
    kept = [run for run in runs
            if all(matches(run_keys(run.record)[key], patterns) for key, patterns in view.filters.items())]
    if not kept:
        wanted = "; ".join(f"{key}: {', '.join(patterns)}" for key, patterns in view.filters.items())
        raise HarnessError(f"--view {view.name}: no {side} run matches its filters ({wanted}); "
                           f"check the view or the {side}")
    return kept


def select_runs(runs: Sequence[Run], filters: Mapping[str, Collection[str]], side: str) -> list[Run]:
    """The runs every filter accepts; a filter that leaves nothing is an error naming it."""
    selected = list(runs)
    for field, allowed in filters.items():
        if not allowed:
            continue
        read = FILTER_FIELDS[field]
        kept = [run for run in selected if read(run.record) in allowed]
        if not kept:
            there = sorted({read(run.record) for run in selected})
            raise HarnessError(f"--{field} {','.join(sorted(allowed))} matched no {side} run "
                               f"({field}s there: {', '.join(there) or 'none'}); check the name or the {side}")
        selected = kept
    return selected
