"""SpecLock: one process per run at a time, released by the kernel when its holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.errors import HarnessError, RunFailed
from harness.record.lock import RunBusy, SpecLock

REPO = Path(__file__).resolve().parents[1]

HOLD = """
import sys, time
from harness.record.lock import SpecLock
lock = SpecLock(sys.argv[1], "sst2", "abc123")
print("took" if lock.try_acquire() else "busy", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _python(script: str, *args: str, wait: bool = True):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", script, *args]
    if wait:
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60).stdout.strip()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "took"
    return process


@pytest.fixture()
def holder(tmp_path):
    """Another process holding run abc123 of sst2 in tmp_path until killed."""
    process = _python(HOLD, str(tmp_path), "60", wait=False)
    yield process
    process.kill()
    process.wait()


def test_a_held_lock_excludes_this_process_and_names_its_holder(tmp_path, holder):
    lock = SpecLock(tmp_path, "sst2", "abc123")
    assert lock.path == tmp_path / "sst2" / ".locks" / "abc123.lock"
    assert not lock.try_acquire()
    assert lock.is_busy()
    text = lock.holder()
    assert text is not None and text.startswith(f"pid {holder.pid} on ") and " since " in text
    assert SpecLock(tmp_path, "sst2", "other1").try_acquire()  # other runs are not held


def test_a_sigkilled_holder_releases_the_lock(tmp_path, holder):
    lock = SpecLock(tmp_path, "sst2", "abc123")
    assert not lock.try_acquire()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert lock.holder() is None  # free, though the dead holder's text is still in the file
    assert lock.try_acquire()
    assert lock.path.exists()
    lock.release()
    assert lock.path.exists()  # never unlinked


def test_blocking_acquire_waits_for_the_holder_and_times_out_with_run_busy(tmp_path, holder):
    lock = SpecLock(tmp_path, "sst2", "abc123")
    started = time.monotonic()
    with pytest.raises(RunBusy):
        lock.acquire(timeout=0.6)
    assert 0.5 <= time.monotonic() - started < 5
    holder.kill()
    holder.wait()
    lock.acquire(timeout=5)
    assert lock.holder().startswith(f"pid {os.getpid()} ")
    lock.release()


def test_is_busy_does_not_keep_the_lock(tmp_path):
    lock = SpecLock(tmp_path, "sst2", "abc123")
    assert not lock.is_busy()
    assert lock.holder() is None
    assert _python(HOLD, str(tmp_path), "0") == "took"  # another process can take it right after


def test_a_released_lock_is_free_for_another_process(tmp_path):
    with SpecLock(tmp_path, "sst2", "abc123") as lock:
        assert _python(HOLD, str(tmp_path), "0") == "busy"
        assert lock.holder().startswith(f"pid {os.getpid()} ")
    assert _python(HOLD, str(tmp_path), "0") == "took"


def test_the_lock_is_reentrant_within_its_process(tmp_path):
    outer = SpecLock(tmp_path, "sst2", "abc123")
    with outer:
        with SpecLock(tmp_path, "sst2", "abc123"):  # e.g. a sweep's child, then the runner inside it
            pass
        assert _python(HOLD, str(tmp_path), "0") == "busy"  # the inner release kept the outer hold
    assert _python(HOLD, str(tmp_path), "0") == "took"


def test_run_busy_is_a_one_line_run_failure_naming_run_task_and_holder(tmp_path, holder):
    with pytest.raises(RunBusy) as caught:
        with SpecLock(tmp_path, "sst2", "abc123"):
            pytest.fail("entered a lock another process holds")
    error = caught.value
    assert isinstance(error, RunFailed) and error.exit_code == 1
    message = str(error)
    assert len(message.splitlines()) == 1
    assert message.startswith(f"run abc123 of sst2 is being run by pid {holder.pid} on ")
    assert message.endswith("wait for it to finish (its record will appear) or stop it")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores folder permissions")
def test_a_read_only_results_folder_gives_the_not_writable_error(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    results.chmod(0o555)
    try:
        with pytest.raises(HarnessError, match="is not writable") as caught:
            SpecLock(results, "sst2", "abc123").try_acquire()
        assert not isinstance(caught.value, RunFailed)
        assert "--results DIR" in str(caught.value) and len(str(caught.value).splitlines()) == 1
    finally:
        results.chmod(0o755)


def test_a_lock_file_that_cannot_be_opened_gives_a_one_line_error(tmp_path, monkeypatch):
    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("harness.record.lock.os.open", refused)  # what a read-only folder does, even as root
    with pytest.raises(HarnessError, match=r"results folder .* is not writable \(Permission denied") as caught:
        SpecLock(tmp_path, "sst2", "abc123").is_busy()
    assert "--results DIR" in str(caught.value) and len(str(caught.value).splitlines()) == 1
