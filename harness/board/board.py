"""build_board(): a view applied to a results folder -> rows, columns and cells, sorted, best marked.

Runs are grouped into rows by the view's row fields; a row's figures are aggregated over
its runs (seeds). Figures whose task definition or metric version differ are never
aggregated together: the column is split, one per version, and a note says why. Runs of
one row and task made with different prompts (zero/few-shot) get a `prompt` row field.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.board.cells import Cell, aggregate, version_reasons
from harness.board.check import resolve_columns
from harness.board.columns import ColumnSpec, formatter
from harness.board.coverage import covered_tasks, left_out_note, nothing_to_show
from harness.board.facts import Fact, Version, profile_figure, run_figure
from harness.board.sources import Source, filter_problem, load_sources, matches
from harness.board.suite_cells import suite_cells
from harness.board.view import Sort, View
from harness.errors import HarnessError

RowKey = tuple[str, ...]


@dataclass(frozen=True)
class Column:
    label: str  # the header: the view's label, plus what tells versions apart when split
    spec: ColumnSpec
    version: str = ""  # e.g. "task definition 432f551d" when the column was split

    @property
    def higher_is_better(self) -> bool:
        return self.spec.higher_is_better

    def text(self, value: float) -> str:
        return formatter(self.spec)(value)


@dataclass
class Row:
    key: dict[str, str]  # row field -> value, in the view's order (plus "prompt" when needed)
    cells: dict[str, Cell] = field(default_factory=dict)  # column label -> cell
    sources: list[Source] = field(default_factory=list)

    @property
    def label(self) -> str:
        return " · ".join(value for value in self.key.values() if value)


@dataclass
class Board:
    view: View
    results: str
    key_fields: tuple[str, ...]
    columns: list[Column]
    rows: list[Row]
    notes: list[str]
    warnings: list[str]
    plot_tasks: dict[str, str] = field(default_factory=dict)  # drops plots: task as written -> canonical

    def cell(self, row: Row, column: Column) -> Cell:
        return row.cells.get(column.label) or Cell(None)

    def columns_for(self, label: str) -> list[Column]:
        """The displayed columns of one view column (several when split by version)."""
        return [c for c in self.columns if c.spec.label == label]

    def best(self, column: Column) -> set[int]:
        """Rows holding the best value of a column (ties all); none with fewer than 2 values or all equal."""
        valued = [(i, cell.value) for i, row in enumerate(self.rows)
                  if (cell := row.cells.get(column.label)) is not None and cell.value is not None]
        if len(valued) < 2:
            return set()
        pick = max if column.higher_is_better else min
        top = pick(value for _, value in valued)
        best = {i for i, value in valued if math.isclose(value, top, rel_tol=1e-12, abs_tol=1e-15)}
        return best if len(best) < len(valued) else set()  # every row equal: nothing stands out


def _row_keys(fields: tuple[str, ...], sources: list[Source]) -> tuple[dict[int, RowKey], bool]:
    """Row key of every source; a prompt hash joins the key where one row and task has several."""
    base = {id(s): tuple(s.keys[f] for f in fields) for s in sources}
    prompts: dict[tuple[RowKey, str], set[str]] = defaultdict(set)
    for s in sources:
        if s.prompt_hash:
            prompts[(base[id(s)], s.task)].add(s.prompt_hash)
    tagged = {key for key, hashes in prompts.items() if len(hashes) > 1}
    keys = {}
    for s in sources:
        tag = str(s.prompt_hash)[:8] if (base[id(s)], s.task) in tagged else ""
        keys[id(s)] = (*base[id(s)], tag)
    return keys, bool(tagged)


def _newest(profiles: list[Source]) -> list[Source]:
    """Each variant of a run on a device from its newest profile only: its figures come from one measurement."""
    newest: dict[tuple, Source] = {}
    for entry in profiles:  # newest first
        identity = (entry.task, entry.keys["run"], entry.keys["model"], entry.keys["variant"],
                    entry.entry.get("device") or entry.record.get("device"))
        newest.setdefault(identity, entry)
    return list(newest.values())


def _facts(spec: ColumnSpec, runs: list[Source], profiles: list[Source]) -> Iterable[tuple[Source, Fact]]:
    if spec.kind == "profile":
        for entry in profiles:
            fact = profile_figure(spec, entry)
            if fact is not None:
                yield entry, fact
        return
    for run in runs:
        fact = run_figure(spec, run)
        if fact is not None:
            yield run, fact


def build_board(view: View, results: Path | str, tasks_dirs: Iterable[Path] | None = None) -> Board:
    loaded = load_sources(results)
    if not loaded.runs and not loaded.profiles:
        raise HarnessError(f"no run records in {results}; run `harness run ...` first or pass --results DIR")
    specs, plot_tasks = resolve_columns(view, loaded, tasks_dirs)
    everything = [*loaded.runs, *loaded.profiles]
    chosen = [s for s in everything if all(matches(s.keys[k], p) for k, p in view.filters.items())]
    if not chosen:  # an empty board is the one refusal: say what the view covers and what the folder holds
        raise HarnessError(nothing_to_show(view, specs, loaded, results,
                                           filter_problem(everything, view.filters, str(results))))
    runs = sorted((s for s in chosen if s.kind == "run"), key=lambda s: s.created_at, reverse=True)
    profiles = _newest([s for s in chosen if s.kind == "profile"])
    keys, prompted = _row_keys(view.rows, [*runs, *profiles])
    fields = (*view.rows, "prompt")

    rows: dict[RowKey, Row] = {}
    for source in [*runs, *profiles]:  # every run joins its row: suite scores read all of them
        rows.setdefault(keys[id(source)], Row(dict(zip(fields, keys[id(source)])))).sources.append(source)

    columns: list[Column] = []
    notes: list[str] = []
    empty: list[str] = []
    for spec in specs:
        if spec.kind == "suite":  # from the runs of each row, several tasks at once
            suite_columns, suite_notes = suite_cells(spec, list(rows.values()), view.aggregate)
            columns += [Column(label, spec, reason) for label, reason in suite_columns]
            notes += suite_notes
            continue
        grouped: dict[Version, dict[RowKey, list[tuple[Fact, str]]]] = defaultdict(lambda: defaultdict(list))
        for source, fact in _facts(spec, runs, profiles):
            grouped[fact.version][keys[id(source)]].append((fact, source.run_id))
        if not grouped:
            empty.append(spec.label)
            continue
        versions = list(grouped)
        reasons = version_reasons(versions) if len(versions) > 1 else [""]
        if len(versions) > 1:
            notes.append(f"{spec.label}: runs of different {_what(reasons)} are never averaged together; "
                         f"shown as {len(versions)} columns")
        for version, reason in zip(versions, reasons):
            column = Column(f"{spec.label} [{reason}]" if reason else spec.label, spec, reason)
            columns.append(column)
            for key, facts in grouped[version].items():
                rows[key].cells[column.label] = aggregate(facts, view.aggregate)

    shown = [row for row in rows.values() if any(cell.shown for cell in row.cells.values())]
    if not shown:
        wanted = ", ".join(spec.label for spec in specs) or "none"
        raise HarnessError(nothing_to_show(view, specs, loaded, results, (
            f"{len(chosen)} records match the view's filters but none has a figure for its columns ({wanted}); "
            "profile columns need `harness profile` records, robustness columns runs made with --perturb")))
    if empty:
        notes.append(f"nothing recorded for: {', '.join(empty)} (left out)")
    left_out = left_out_note(everything, shown, covered_tasks(view, specs))
    if left_out:
        notes.append(left_out)
    if prompted:
        notes.append("prompt: runs of one row and task made with different prompts (by prompt hash) are never "
                     "averaged together")
    key_fields = tuple(f for f in fields if f != "prompt" or prompted)
    for row in shown:
        row.key = {f: row.key[f] for f in key_fields}
    board = Board(view, str(results), key_fields, columns, shown, notes, loaded.warnings, plot_tasks)
    _sort(board, view.sort or (Sort(columns[0].spec.label) if columns and view.ranked else None))
    return board


def _what(reasons: list[str]) -> str:
    names = dict.fromkeys(part.rsplit(" ", 1)[0] for reason in reasons for part in reason.split(", "))
    return " or ".join(f"{name}s" for name in names)


def _sort(board: Board, sort: Sort | None) -> None:
    """Best first by the sort column: values, then partial suite scores (never ranked), then missing."""
    targets = board.columns_for(sort.column) if sort else []
    if not targets:
        board.rows.sort(key=lambda row: row.label)
        return
    column = targets[0]
    descending = column.higher_is_better if sort.descending is None else sort.descending
    valued = [c for c in board.columns if any(board.cell(row, c).value is not None for row in board.rows)]
    if column not in valued and valued:  # e.g. a suite score no row has complete: rank by the first figure
        column, descending = valued[0], valued[0].higher_is_better

    def key(row: Row) -> tuple[int, float, str]:
        cell = board.cell(row, column)
        if cell.value is not None:
            return (0, -cell.value if descending else cell.value, row.label)
        return (1 if cell.partial else 2, 0.0, row.label)

    board.rows.sort(key=key)
