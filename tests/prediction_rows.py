"""A run's predictions file as the tests read and rewrite it (gzipped JSON lines, through the store's own helpers)."""

from __future__ import annotations

from pathlib import Path

from harness.record.store import atomic_replace, gzipped_rows, open_rows


def rows_text(path: Path) -> str:
    """The file's JSON lines as text."""
    with open_rows(path) as handle:
        return handle.read()


def write_rows_text(path: Path, text: str) -> None:
    """Replace the file with these JSON lines (each line a row), gzipped like the store writes it."""
    import json

    atomic_replace(path, gzipped_rows(json.loads(line) for line in text.splitlines() if line.strip()))
