"""A results folder as one pandas DataFrame, for notebooks: `harness.results.load("results")`.

One row per (run, kind, variant, split, metric); harness.results.rows documents the columns.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd

from harness.errors import HarnessError
from harness.record.store import ResultStore
from harness.results.rows import COLUMNS, RUN_COLUMNS, metric_rows, run_fields


class SkippedRecord(UserWarning):
    """A record file `load` could not read and left out."""


def load(folder: Path | str = "results") -> pd.DataFrame:
    """Every readable run record under `folder` as rows; each file skipped is a `SkippedRecord` warning."""
    frame, problems = load_with_warnings(folder)
    for problem in problems:
        warnings.warn(problem, SkippedRecord, stacklevel=2)
    return frame


def load_with_warnings(folder: Path | str) -> tuple[pd.DataFrame, list[str]]:
    """The frame of `load`, and a line per record file skipped or read with something to know about it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HarnessError(f"results folder {folder} does not exist or is not a folder; pass the folder runs "
                           "were recorded in (--results DIR)")
    runs, rows, owners, problems = [], [], [], []
    for path, record, problem in ResultStore(folder).records():
        if record is None:
            problems.append(f"skipped {path}: {problem}")
            continue
        try:
            fields, own = run_fields(record), metric_rows(record)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:  # hand-edited, or another schema
            problems.append(f"skipped {path}: a run record without {exc}")
            continue
        if problem:
            problems.append(f"{path}: {problem}")
        owners += [len(runs)] * len(own)
        runs.append(fields)
        rows += own
    return _assemble(runs, rows, owners), problems


def _assemble(runs: list[dict], rows: list[dict], owners: list[int]) -> pd.DataFrame:
    """Run columns built once per run and repeated for its rows (cheaper than per-row dicts of 60 keys)."""
    run_frame = pd.DataFrame(runs)
    row_frame = pd.DataFrame(rows)
    for column in COLUMNS:  # an empty folder, or no run with a perturbation, still has every fixed column
        if column in RUN_COLUMNS and column not in run_frame:
            run_frame[column] = pd.Series(dtype=object)
        elif column not in RUN_COLUMNS and column not in row_frame:
            row_frame[column] = pd.Series(dtype=object)
    extra = sorted(c for c in run_frame.columns if c not in RUN_COLUMNS)
    ordered = sorted(extra, key=lambda c: (not c.startswith("spec."), c))  # spec.* then costs.*
    repeated = run_frame.iloc[owners].reset_index(drop=True)
    frame = pd.concat([repeated[list(RUN_COLUMNS)], row_frame[[c for c in COLUMNS if c not in RUN_COLUMNS]],
                       repeated[ordered]], axis=1)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    for column in ("value", "low", "high", "severity"):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    frame["n"] = frame["n"].astype("Int64")
    frame["headline"] = frame["headline"].astype(bool)
    for column in frame.columns[frame.dtypes == object]:
        frame[column] = _one_type(frame[column])
    return frame


def _one_type(column: pd.Series) -> pd.Series:
    """A column whose values are of several types (a spec field an int in one run, text in another) as JSON
    text, so parquet can store it and every format reads it back alike."""
    kinds = {type(v) for v in column if v is not None and v == v}
    if not kinds and len(column):  # never set in any run (spec.fold): missing numbers, as csv and JSON read it
        return column.astype("float64")
    if kinds == {bool}:  # true/false with gaps: pandas' nullable boolean, which parquet keeps as it is
        return column.astype("boolean")
    if len(kinds) <= 1:
        return column
    return column.map(lambda v: v if v is None or v != v else json.dumps(v))
