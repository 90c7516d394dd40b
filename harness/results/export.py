"""A results frame written as JSON lines, CSV or parquet, whole or not at all.

The file is written beside its target under a temporary name and renamed over it only once complete
(harness.record.store.atomic_replace): a failed or interrupted export never replaces a good file.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from harness.errors import HarnessError
from harness.record.store import atomic_replace

FORMATS = ("jsonl", "csv", "parquet")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def format_of(output: Path, fmt: str | None) -> str:
    """The format asked for, or the one the file name says; a name that says another is an error."""
    implied = SUFFIXES.get(output.suffix.lower())
    if fmt is None:
        if implied is None:
            raise HarnessError(f"cannot tell the format of {output} from its name; pass --format "
                               f"{'|'.join(FORMATS)} or end it in {', '.join(SUFFIXES)}")
        return implied
    if implied is not None and implied != fmt:
        raise HarnessError(f"--format {fmt} does not match {output} (a {implied} name); drop --format or name the "
                           f"file *.{fmt}")
    return fmt


def write_frame(frame: pd.DataFrame, output: Path, fmt: str) -> None:
    """`frame` written to `output` as `fmt` (one of FORMATS); HarnessError when the path cannot be written."""
    if fmt not in FORMATS:
        raise HarnessError(f"unknown export format '{fmt}'; valid: {', '.join(FORMATS)}")
    output = Path(output)
    blocking = next((p for p in output.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:  # else the error would read "File exists", naming nothing
        raise HarnessError(f"cannot write {output}: {blocking} is a file, not a folder; choose another path")
    atomic_replace(output, _writer(frame, fmt))


def _writer(frame: pd.DataFrame, fmt: str):
    def write(handle: BinaryIO) -> None:
        if fmt == "parquet":
            frame.to_parquet(handle, engine="pyarrow", index=False)
            return
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        if fmt == "csv":
            frame.to_csv(text, index=False, date_format="%Y-%m-%dT%H:%M:%S%z")
        else:
            frame.to_json(text, orient="records", lines=True, date_format="iso", date_unit="s", double_precision=15,
                      force_ascii=False)
        text.flush()
        text.detach()  # the caller syncs and closes the file itself
    return write
