"""Fingerprints of the data files a run reads, so a record made on other data is never taken as current.

A run id covers the task definition and the run's settings, not the contents of the data
files: edit a file (fix labels, add rows) and the same command would find its old record
and skip the run. Each record therefore keeps the sha256 of every local file it read, and
a recorded run is reused only while those files are unchanged. Splits read from the hub
have no local file and are not fingerprinted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.tasks.loaders import split_path

if TYPE_CHECKING:
    from harness.tasks.schema import TaskDef

DIGEST_CHARS = 16
_digests: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> digest: a sweep hashes each file once


def file_digest(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _digests[key] = digest.hexdigest()[:DIGEST_CHARS]
    return _digests[key]


def data_fingerprints(task: TaskDef, splits: Iterable[str], data_dir: str | Path | None) -> dict[str, str]:
    """split -> sha256 (first 16 hex digits) of its local file, for each of `splits` read from a file."""
    found = {}
    for split in splits:
        path = split_path(task, split, data_dir)
        if path is not None and path.is_file():
            found[split] = file_digest(path)
    return found


def data_change(record: dict[str, Any], task: TaskDef, data_dir: str | Path | None) -> str | None:
    """Why `record` was made on other data than the files now in place; None when it was not (or the
    record predates fingerprints)."""
    recorded = (record.get("data") or {}).get("file_sha256")
    if not recorded:
        return None
    current = data_fingerprints(task, recorded, data_dir)
    changed = [split for split in recorded if split in current and current[split] != recorded[split]]
    if not changed:
        return None
    split = changed[0]
    return (f"run {record['run_id']} ({task.name}) was recorded on other data: its {split} file "
            f"{split_path(task, split, data_dir)} changed since (sha256 {recorded[split]}, now {current[split]}); "
            "rerun it with --force to replace the record, or point --data-dir at the data it was recorded on")


def check_same_data(record: dict[str, Any], task: TaskDef, data_dir: str | Path | None) -> None:
    change = data_change(record, task, data_dir)
    if change:
        raise HarnessError(change)
