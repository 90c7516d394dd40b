"""Run records -> a table of models x methods against tasks (mean over seeds)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from harness.board.settings import settings_label
from harness.record.store import ResultStore


def load_runs(results: Path | str) -> tuple[pd.DataFrame, list[str]]:
    """One row per readable record, and a warning per unreadable file."""
    rows, warnings = [], []
    for path, record, problem in ResultStore(results).records():
        if record is None:
            warnings.append(f"skipped {path}: {problem}")
            continue
        try:
            rows.append(_row(record))
        except (KeyError, TypeError) as exc:  # another schema, or hand-edited: skip it as the view loader does
            warnings.append(f"skipped {path}: a run record without {exc}")  # one line per file, this one
            continue
        if problem:  # readable, with something to know about it
            warnings.append(f"{path}: {problem}")
    return pd.DataFrame(rows), warnings


def _row(record: dict) -> dict:
    headline = record["headline"]
    return {
        "model": record["spec"]["model"], "method": record["spec"]["method"],
        "settings": settings_label(record["spec"], record["task"].get("path")), "task": record["task"]["name"],
        "task_hash": record["task"]["hash"], "seed": record["spec"]["seed"], "metric": headline["metric"],
        "split": headline["split"], "value": headline["value"], "run_id": record["run_id"],
    }


def task_columns(runs: pd.DataFrame) -> pd.Series:
    """Task column name; runs of different task definitions are never averaged together."""
    versions = runs.groupby("task")["task_hash"].nunique()
    return runs.apply(lambda r: r["task"] if versions[r["task"]] == 1 else f"{r['task']} [def {r['task_hash'][:8]}]",
                      axis=1)


def leaderboard(runs: pd.DataFrame) -> pd.DataFrame:
    """Rows (model, method, settings); per task column: mean, std and number of seeds of the headline metric."""
    runs = runs.assign(column=task_columns(runs))
    keys = ["model", "method", "settings"]
    grouped = runs.groupby([*keys, "column"])["value"].agg(["mean", "std", "count"]).reset_index()
    return grouped.pivot(index=keys, columns="column", values=["mean", "std", "count"])


def headline_names(runs: pd.DataFrame) -> dict[str, str]:
    runs = runs.assign(column=task_columns(runs))
    return {c: f"{m} ({s})" for c, m, s in runs[["column", "metric", "split"]].drop_duplicates().itertuples(index=False)}
