"""A board for machines: JSON (every figure, interval, n and run ids) and CSV (value, std, n per column)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from harness.board.board import Board, Column
from harness.board.cells import Cell
from harness.board.render_text import cell_text


def _cell_dict(column: Column, cell: Cell, best: bool) -> dict[str, Any]:
    return {
        "value": cell.value, "std": cell.std, "n": cell.n, "values": list(cell.values),
        "interval": list(cell.interval) if cell.interval else None, "interval_kind": cell.interval_kind or None,
        "run_ids": list(cell.run_ids), "partial": cell.partial, "partial_mean": cell.partial_mean,
        "note": cell.note, "details": dict(cell.details), "text": cell_text(column, cell), "best": best,
    }


def to_dict(board: Board) -> dict[str, Any]:
    view = board.view
    best = {column.label: board.best(column) for column in board.columns}
    return {
        "view": {"name": view.name, "title": view.title, "description": view.description,
                 "path": str(view.path) if view.path else None},
        "results": board.results,
        "key_fields": list(board.key_fields),
        "columns": [{"label": c.label, "kind": c.spec.kind, "name": c.spec.name, "task": c.spec.task,
                     "metric": c.spec.metric, "split": c.spec.split, "version": c.version or None,
                     "view_column": c.spec.label, "higher_is_better": c.higher_is_better} for c in board.columns],
        "rows": [{"key": dict(row.key), "label": row.label,
                  "cells": {c.label: _cell_dict(c, row.cells[c.label], i in best[c.label])
                            for c in board.columns if c.label in row.cells}}
                 for i, row in enumerate(board.rows)],
        "notes": list(board.notes),
        "warnings": list(board.warnings),
    }


def to_json(board: Board) -> str:
    return json.dumps(to_dict(board), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def csv_header(board: Board) -> list[str]:
    names = list(board.key_fields)
    for column in board.columns:
        names += [column.label, f"{column.label} std", f"{column.label} n"]
        if column.spec.kind == "suite":
            names.append(f"{column.label} tasks")
    return names


def to_csv(board: Board) -> str:
    """One line per row; empty fields where nothing was recorded; full float precision."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(csv_header(board))
    for row in board.rows:
        fields: list[Any] = list(row.key.values())
        for column in board.columns:
            cell = board.cell(row, column)
            fields += [_plain(cell.value), _plain(cell.std), cell.n or ""]
            if column.spec.kind == "suite":
                complete = f"{len(cell.details)}/{len(cell.details)} tasks" if cell.details else ""
                fields.append(cell.partial or complete)
        writer.writerow(fields)
    return buffer.getvalue()


def _plain(value: float | None) -> str:
    return "" if value is None else repr(float(value))
