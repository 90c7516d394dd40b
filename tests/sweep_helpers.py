"""What the sweep tests share: the task they sweep, reading and checking a results folder, holding a run's lock."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prediction_rows import rows_text

from harness.record.check import LEFTOVER, check_results

REPO = Path(__file__).resolve().parents[1]
TASK = "tiny-sentiment"
SUMMARY = re.compile(r"sweep done: (\d+) ran, (\d+) already recorded, (\d+) failed")

_HOLD = """
import sys, time
from harness.record.lock import SpecLock
assert SpecLock(sys.argv[1], sys.argv[2], sys.argv[3]).try_acquire()
print("took", flush=True)
time.sleep(120)
"""


def records(output: Path) -> dict[str, dict]:
    """run id -> record, failing on a run recorded under two files."""
    found = [json.loads(path.read_text()) for path in sorted((output / TASK).glob("*.json"))]
    ids = [record["run_id"] for record in found]
    assert len(ids) == len(set(ids))
    return dict(zip(ids, found))


def predictions(output: Path, run_id: str) -> str:
    return rows_text(output / TASK / f"{run_id}.predictions.jsonl.gz")


def assert_sound(output: Path) -> None:
    """No corrupt, incomplete or orphaned file; .tmp leftovers of a killed write are allowed."""
    problems = [f for f in check_results(output) if f.problem != LEFTOVER]
    assert not problems, problems


@contextmanager
def hold_lock(output: Path, run_id: str) -> Iterator[subprocess.Popen]:
    """Another process holding run `run_id`'s lock, started and holding it on entry; ended on exit at the latest
    (`release` ends it sooner, as a process that dies mid-sweep)."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(output), TASK, run_id], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert holder.stdout.readline().strip() == "took"
        yield holder
    finally:
        release(holder)


def release(holder: subprocess.Popen) -> None:
    """The holding process dies (its lock goes with it)."""
    holder.kill()
    holder.wait()
