"""The results folder: one JSON record per run plus its per-example predictions.

Layout: <results>/<task>/<run_id>.json and <results>/<task>/<run_id>.predictions.jsonl.gz (gzipped JSON lines;
a plain <run_id>.predictions.jsonl, as runs recorded before 2026-12-06 have it, is read the same way).
Every file is written to a temporary name in the same folder, flushed, synced, then
renamed into place: a reader sees a whole file or none. Predictions are written before
the record, so a record on disk always has its predictions.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

from harness.errors import HarnessError, did_you_mean
from harness.record import strict_json

SCHEMA_VERSION = 1
MIN_ID_PREFIX = 6  # shorter run-id prefixes match too much to be meant


def atomic_write(path: Path, chunks: Iterable[str]) -> None:
    """Text written whole or not at all (see `atomic_replace`)."""
    atomic_replace(path, _text(chunks))


def atomic_replace(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """`write` fills a temporary file beside `path`, which is synced and renamed over `path`:
    a reader, or a crash at any moment, sees the old file or the new one, never a part."""
    os.replace(_staged(path, write), path)


def _staged(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """A synced temporary file beside `path` holding what `write` wrote; on any failure no temporary file
    is left, and a failure of the disk (full, read-only, gone) is one HarnessError naming the path."""
    if path.exists() and not path.is_file():  # a device or a folder: renaming over it would replace it
        raise HarnessError(f"cannot write {path}: it is not a regular file; choose a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _unwritable(path, exc) from None
    try:
        os.fchmod(descriptor, 0o666 & ~_umask())  # mkstemp makes 0600; results are meant to be shared
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise _unwritable(path, exc) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def _unwritable(path: Path, exc: OSError) -> HarnessError:
    return HarnessError(f"cannot write {path} ({exc.strerror or type(exc).__name__}); nothing was written "
                        "there: free space, fix its permissions, or choose another path (--results)")


def _text(chunks: Iterable[str]) -> Callable[[BinaryIO], None]:
    def write(handle: BinaryIO) -> None:
        for chunk in chunks:
            handle.write(chunk.encode("utf-8"))
    return write


def gzipped_rows(rows: Iterable[dict[str, Any]]) -> Callable[[BinaryIO], None]:
    """JSON lines, gzip-compressed with no timestamp: the same rows give the same bytes."""
    def write(handle: BinaryIO) -> None:
        with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0) as packed:
            for row in rows:
                packed.write((strict_json.dumps(row) + "\n").encode("utf-8"))
    return write


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


PREDICTIONS = ".predictions.jsonl.gz"
SPREAD_SUFFIX = ".prompts.jsonl.gz"  # per prompt variant and split, a prompt spread's predictions
PLAIN_PREDICTIONS = ".predictions.jsonl"  # how runs recorded before 2026-12-06 kept them; still read


def predictions_beside(record_path: Path) -> Path:
    """The predictions file of the record at `record_path`: the gzipped one, else a plain one left by an older
    harness, else the gzipped name (where it belongs)."""
    stem = record_path.name.removesuffix(".json")
    packed, plain = record_path.with_name(stem + PREDICTIONS), record_path.with_name(stem + PLAIN_PREDICTIONS)
    return plain if plain.is_file() and not packed.is_file() else packed


def open_rows(path: Path) -> IO[str]:
    """A file of JSON lines opened as text, gzipped (by its .gz name) or not."""
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


# what reading a rows file can raise: gzip's damage is an OSError (BadGzipFile) or, cut short, an EOFError
UNREADABLE_ROWS = (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError)


def _read_gzipped(path: Path, run_id: str, what: str) -> list[dict[str, Any]]:
    """The JSON lines of a gzipped rows file; [] when there is none."""
    if not path.is_file():
        return []
    try:
        with open_rows(path) as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except UNREADABLE_ROWS as exc:
        raise HarnessError(f"{what} of run {run_id} ({path}) cannot be read ({type(exc).__name__}); rerun it "
                           "with --force") from None


class ResultStore:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def record_path(self, task: str, run_id: str) -> Path:
        return self.root / task / f"{run_id}.json"

    def predictions_path(self, task: str, run_id: str) -> Path:
        """The run's per-example predictions (gzipped; a run recorded before they were has a plain file)."""
        return predictions_beside(self.record_path(task, run_id))

    def perturbed_path(self, task: str, run_id: str) -> Path:
        """Per-example predictions on the perturbed copies of the reported splits (runs with --perturb), gzipped:
        a copy per perturbation makes them 15 times the clean predictions, and they repeat ids and values."""
        return self.root / task / f"{run_id}.perturbed.jsonl.gz"

    def load_perturbed(self, task: str, run_id: str) -> list[dict[str, Any]]:
        """The rows of `perturbed_path`; [] for a run that has none (no --perturb, or recorded before they were)."""
        return _read_gzipped(self.perturbed_path(task, run_id), run_id, "perturbed predictions")

    def attacked_path(self, task: str, run_id: str) -> Path:
        """Per-example results of the attacks on the reported splits (runs with --attack), gzipped: status,
        queries, the words changed, the adversarial text and the prediction on it."""
        return self.root / task / f"{run_id}.attacked.jsonl.gz"

    def load_attacked(self, task: str, run_id: str) -> list[dict[str, Any]]:
        """The rows of `attacked_path`; [] for a run that has none."""
        return _read_gzipped(self.attacked_path(task, run_id), run_id, "attacked examples")

    def spread_path(self, task: str, run_id: str) -> Path:
        """Per prompt variant and split of a run with a prompt spread: its predictions (regress pairs them)."""
        return self.root / task / f"{run_id}{SPREAD_SUFFIX}"

    def load_spread(self, task: str, run_id: str) -> list[dict[str, Any]]:
        """The rows of `spread_path`; [] for a run that has none."""
        return _read_gzipped(self.spread_path(task, run_id), run_id, "prompt variant predictions")

    def model_path(self, task: str, run_id: str) -> Path:
        """Folder of a run's saved trained weights (`harness run --save-model`)."""
        return self.root / task / f"{run_id}.model"

    def checkpoint_path(self, task: str, run_id: str) -> Path:
        """A training run's latest checkpoint while it runs (deleted once it is recorded)."""
        return self.root / task / f"{run_id}.checkpoint.pt"

    def find(self, run_id: str) -> list[Path]:
        """Record files of `run_id` in any task folder: the exact one, else those it is a prefix of
        (at least MIN_ID_PREFIX characters); several paths mean the prefix is ambiguous."""
        if not self.root.is_dir():
            return []
        exact = sorted(self.root.glob(f"*/{run_id}.json"))
        if exact or len(run_id) < MIN_ID_PREFIX:
            return exact
        return sorted(self.root.glob(f"*/{run_id}*.json"))

    def find_one(self, run_id: str) -> Path:
        """The record file of `run_id` (or of the one run it is a prefix of); HarnessError when none or several."""
        found = self.find(run_id)
        if len(found) == 1:
            return found[0]
        if found:
            raise HarnessError(f"run id {run_id} matches {len(found)} runs in {self.root}; give more of it")
        known = [p.stem for p in self.root.glob("*/*.json")] if self.root.is_dir() else []
        raise HarnessError(f"no run {run_id} recorded in {self.root}{did_you_mean(run_id, known)}; check the run id "
                           "and --results")

    def exists(self, task: str, run_id: str) -> bool:
        return self.record_path(task, run_id).is_file()

    def check_room(self, needed: int, what: str) -> None:
        """Fail before training, not after it, when the results folder's disk cannot hold `needed` bytes."""
        folder = next((p for p in (self.root, *self.root.parents) if p.exists()), Path("."))
        free = shutil.disk_usage(folder).free
        if free < needed:
            raise HarnessError(f"the disk of {self.root} has {free / 1e6:.1f} MB free and this run needs at least "
                               f"{needed / 1e6:.1f} MB for {what}; free space there or pass --results DIR elsewhere")

    def check_writable(self) -> None:
        """Fail before training, not after, when results cannot be saved."""
        if self.root.exists() and not self.root.is_dir():
            raise HarnessError(f"results folder {self.root} is a file, not a folder; pass --results DIR with a "
                               "folder you can write to")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.root):
                pass
        except OSError as exc:
            raise HarnessError(f"results folder {self.root} is not writable ({exc.strerror}); "
                               "pass --results DIR with a folder you can write to") from None

    def write(self, record: dict[str, Any], predictions: list[dict[str, Any]],
              perturbed: list[dict[str, Any]] | None = None, attacked: list[dict[str, Any]] | None = None,
              spread: list[dict[str, Any]] | None = None) -> Path:
        """Every file staged in full before any is renamed into place (the record last): a write that
        fails (a full disk) leaves none, and a crash between the renames leaves predictions that
        `harness results check` reports as an orphan."""
        task, run_id = record["task"]["name"], record["run_id"]
        path = self.record_path(task, run_id)
        files = [(path.with_name(run_id + PREDICTIONS), gzipped_rows(predictions))]
        if perturbed:
            files.append((self.perturbed_path(task, run_id), gzipped_rows(perturbed)))
        if attacked:
            files.append((self.attacked_path(task, run_id), gzipped_rows(attacked)))
        if spread:
            files.append((self.spread_path(task, run_id), gzipped_rows(spread)))
        files.append((path, _text([strict_json.dumps(record, indent=2) + "\n"])))
        staged: list[tuple[Path, Path]] = []
        try:
            for target, text in files:
                staged.append((_staged(target, text), target))
        except BaseException:
            for scratch, _ in staged:
                scratch.unlink(missing_ok=True)
            raise
        for scratch, target in staged:
            os.replace(scratch, target)
        path.with_name(run_id + PLAIN_PREDICTIONS).unlink(missing_ok=True)  # an older harness's, now replaced
        if not perturbed:  # a rerun without --perturb leaves no stale rows behind
            self.perturbed_path(task, run_id).unlink(missing_ok=True)
        if not attacked:
            self.attacked_path(task, run_id).unlink(missing_ok=True)
        if not spread:
            self.spread_path(task, run_id).unlink(missing_ok=True)
        return path

    def load(self, task: str, run_id: str) -> dict[str, Any]:
        """The run's record; HarnessError naming the file when it is damaged (never rewritten here)."""
        path = self.record_path(task, run_id)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            problem = f"cannot be read ({type(exc).__name__})"
        else:
            if isinstance(record, dict) and all(key in record for key in ("run_id", "spec", "headline", "metrics")):
                return record
            problem = "is not a whole run record"
        raise HarnessError(f"run record {path} {problem}; `harness results check` says what is wrong, and "
                           "--force reruns the run and replaces it")

    def load_predictions(self, task: str, run_id: str) -> list[dict[str, Any]]:
        path = self.predictions_path(task, run_id)
        try:
            with open_rows(path) as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except UNREADABLE_ROWS as exc:
            raise HarnessError(f"predictions of run {run_id} ({path}) cannot be read ({type(exc).__name__}); "
                               "rerun it with --force") from None

    def records(self) -> Iterator[tuple[Path, dict[str, Any] | None, str | None]]:
        """Every record file as (path, record or None, problem or None); never raises on a bad file.

        A record of an older schema comes with a problem to warn about but is still read; one of
        a newer schema (a newer harness wrote it) is skipped: its fields may mean something else.
        """
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("*/*.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield path, None, f"unreadable ({type(exc).__name__})"
                continue
            if not isinstance(record, dict) or "run_id" not in record or "metrics" not in record:
                yield path, None, "not a run record (no run_id or metrics)"
                continue
            if record["run_id"] != path.stem:  # a copy under another name would count its run twice
                yield path, None, (f"holds run {record['run_id']}, not the run its name says; remove or rename "
                                   "the copy")
                continue
            version = record.get("schema_version", 0)
            if not isinstance(version, int) or version > SCHEMA_VERSION:
                yield path, None, (f"written by a newer harness (schema {version}, this one reads up to "
                                   f"{SCHEMA_VERSION}); upgrade the harness to read it")
            elif version < SCHEMA_VERSION:
                yield path, record, (f"older schema {version} (this version writes {SCHEMA_VERSION}): read as it "
                                     "is; rerun it with --force to rewrite it")
            else:
                yield path, record, None
