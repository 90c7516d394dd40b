"""The board of `harness leaderboard` without a view: every recorded run, one column per task and reported split.

A view built from the records themselves: rows model x method x settings, a column for each
split a task reports (MNLI's matched and mismatched, CoNLL-2003's validation and test), each
with the task's headline metric, rows in name order (no single column to rank them by). It
renders through build_board like any view, so every format and --output work the same.
"""

from __future__ import annotations

from pathlib import Path

from harness.board.columns import ColumnSpec, default_label
from harness.board.sources import load_sources
from harness.board.view import DEFAULT_ROWS, View


def all_runs_view(results: Path | str) -> View:
    columns: dict[tuple[str, str, str], None] = {}
    runs = sorted(load_sources(results).runs, key=lambda s: (s.task, s.created_at))
    for run in runs:
        headline = run.record.get("headline") or {}
        metric, first = headline.get("metric"), headline.get("split")
        splits = [first, *(s for s in run.record.get("metrics") or {} if s != first)]
        for split in splits:
            if metric and split:
                columns[(run.task, str(metric), str(split))] = None
    specs = tuple(ColumnSpec("task", task, task, metric, split) for task, metric, split in columns)
    specs = tuple(ColumnSpec(s.kind, s.name, s.task, s.metric, s.split, default_label(s)) for s in specs)
    return View(name="all runs", title=f"every run in {results}", description="", filters={}, rows=DEFAULT_ROWS,
                columns=specs, ranked=False)
