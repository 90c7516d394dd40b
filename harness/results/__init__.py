"""Recorded runs as a table: `load(folder)` for pandas, and the export behind `harness results export`.

    >>> from harness.results import load
    >>> frame = load("results")                      # one row per run x kind x variant x split x metric
    >>> frame[frame.kind == "clean"].pivot_table(index=["model", "method"], columns="task", values="value")

harness.results.rows documents the columns.
"""

from harness.results.export import FORMATS, format_of, write_frame
from harness.results.frame import SkippedRecord, load, load_with_warnings
from harness.results.rows import COLUMNS, TEXT_COLUMNS

__all__ = ["COLUMNS", "FORMATS", "TEXT_COLUMNS", "SkippedRecord", "format_of", "load", "load_with_warnings",
           "write_frame"]
