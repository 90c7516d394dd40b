"""Read local data files into plain rows: (row index, line number, row dict).

Every reader keeps the file's own field names so that `convert.py` treats local rows and
hub rows the same way. Readers are plain loops over `csv`/`json`: SST-2's 67k rows read
in a fraction of a second.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.tasks.specs import DataSpec

Row = tuple[int, int, dict[str, Any]]  # (index among the file's rows, line number, row)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # some GLUE rows are long paragraphs


def read_rows(spec: DataSpec, path: Path) -> tuple[list[str] | None, list[Row]]:
    """The column names (None for JSON lines) and the rows of one data file."""
    readers = {"tsv": _read_tsv, "jsonl": _read_jsonl, "conll": _read_conll}
    try:
        return readers[spec.format](spec, path)
    except UnicodeDecodeError as err:
        raise HarnessError(f"{path}: not readable as {spec.encoding} ({err.reason}); set data.encoding "
                           f"in the task file") from None


def _read_tsv(spec: DataSpec, path: Path) -> tuple[list[str], list[Row]]:
    rows: list[Row] = []
    with path.open(encoding=spec.encoding, newline="") as handle:
        # Quoting off: GLUE strings contain unbalanced quote characters (MRPC, QQP).
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if spec.header:
            names = next(reader, None)
            if names is None:
                return [], rows
        else:
            names = list(spec.columns or ())
        width = len(names)
        for values in reader:
            if not values:  # a blank line
                continue
            if len(values) != width:
                raise HarnessError(
                    f"{path}: line {reader.line_num}: expected {width} tab-separated columns "
                    f"({', '.join(names)}), found {len(values)}"
                )
            rows.append((len(rows), reader.line_num, dict(zip(names, values))))
    return names, rows


def _read_jsonl(spec: DataSpec, path: Path) -> tuple[None, list[Row]]:
    """JSON lines; a file holding one JSON array of objects is read too."""
    text = path.read_text(encoding=spec.encoding)
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as err:
            raise HarnessError(f"{path}: line {err.lineno}: not valid JSON ({err.msg})") from None
        numbered = [(i + 1, item) for i, item in enumerate(items)]
        unit = "item"
    else:
        numbered = []
        # split on newlines only: str.splitlines() also breaks at U+2028 and other
        # separators that IFLYTEK's sentences contain inside JSON strings
        for line_no, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                numbered.append((line_no, json.loads(line)))
            except json.JSONDecodeError as err:
                raise HarnessError(f"{path}: line {line_no}: not valid JSON ({err.msg})") from None
        unit = "line"
    rows: list[Row] = []
    for line_no, item in numbered:
        if not isinstance(item, dict):
            raise HarnessError(f"{path}: {unit} {line_no}: expected a JSON object, found {type(item).__name__}")
        rows.append((len(rows), line_no, item))
    return None, rows


def _read_conll(spec: DataSpec, path: Path) -> tuple[list[str], list[Row]]:
    """One token per line, blank lines between sentences, -DOCSTART- lines skipped.

    A row is one sentence: {column name: list of values}; its line number is the line of
    the sentence's first token, so token k sits on line + k.
    """
    names = list(spec.columns or ())
    width = len(names)
    rows: list[Row] = []
    columns: list[list[str]] = [[] for _ in names]
    start = 0

    def flush() -> None:
        nonlocal columns
        if columns[0]:
            rows.append((len(rows), start, dict(zip(names, columns))))
            columns = [[] for _ in names]

    with path.open(encoding=spec.encoding) as handle:
        for line_no, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts or parts[0] == "-DOCSTART-":
                flush()
                continue
            if len(parts) != width:
                raise HarnessError(f"{path}: line {line_no}: expected {width} space-separated columns "
                                   f"({', '.join(names)}), found {len(parts)}")
            if not columns[0]:
                start = line_no
            for column, part in zip(columns, parts):
                column.append(part)
    flush()
    return names, rows
