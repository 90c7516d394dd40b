"""A lock per run (spec hash): two processes never run the same spec at the same time.

    with SpecLock(results, task.name, run_id):   # RunBusy when another process holds it
        ...run, write the record...

The lock is `fcntl.flock` on <results>/<task>/.locks/<run_id>.lock. The kernel drops it when
the holding process dies, whatever killed it (SIGKILL included), so a crash never leaves a
stale lock behind; lock files are never deleted, because unlinking a lock file races with a
process that has just opened it. The holder writes "pid <pid> on <host> since <time>" into
the file so a waiter can say who holds it.

flock is reliable on local folders only: on NFS and other network file systems it may not
exclude a process on another machine, so give concurrent sweeps a local results folder.

Within one process the lock is re-entrant: a second SpecLock on a run this process already
holds succeeds (a sweep's child holds it around `execute`, which may take it too). POSIX only.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from harness.errors import HarnessError, RunFailed
from harness.record.store import ResultStore

POLL_SECONDS = 0.5

# Locks this process holds: "<pid>:<path>" -> [file descriptor, holders]; only for re-entrancy
# (the pid keeps a forked child from thinking it holds its parent's locks).
_held: dict[str, list[int]] = {}


class RunBusy(RunFailed):
    """Another process is running this exact run right now."""


class SpecLock:
    def __init__(self, root: Path | str, task: str, run_id: str):
        self.root = Path(root)
        self.task = task
        self.run_id = run_id
        self.path: Path = self.root / task / ".locks" / f"{run_id}.lock"
        self._owned = False

    def try_acquire(self) -> bool:
        """Take the lock if no other process holds it; never waits."""
        if self._owned:
            return True
        key = self._key()
        if key in _held:  # this process holds it already
            _held[key][1] += 1
            self._owned = True
            return True
        descriptor = self._open(os.O_RDWR | os.O_CREAT)
        if not _lock(descriptor, fcntl.LOCK_EX):
            os.close(descriptor)
            return False
        text = f"pid {os.getpid()} on {socket.gethostname()} since " \
               f"{dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}\n"
        try:
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, text.encode("utf-8"), 0)
        except OSError:  # a full disk: the lock holds without its note of who holds it
            pass
        _held[key] = [descriptor, 1]
        self._owned = True
        return True

    def acquire(self, timeout: float | None = None) -> None:
        """Wait until the lock is free and take it; RunBusy after `timeout` seconds (None: wait for ever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.try_acquire():
            if deadline is not None and time.monotonic() >= deadline:
                raise self._busy_error()
            time.sleep(POLL_SECONDS if deadline is None else max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))

    def release(self) -> None:
        """Let go of the lock (the file stays: unlinking it would race with the next taker)."""
        if not self._owned:
            return
        self._owned = False
        key = self._key()
        entry = _held.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _held[key]
        descriptor = entry[0]
        try:
            os.ftruncate(descriptor, 0)  # a free lock names no holder
            fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)

    def holder(self) -> str | None:
        """What the holder wrote ("pid 12 on host since ..."); None when the lock is free or the text is unknown."""
        if self._owned:
            return _read_text(self.path)
        try:
            descriptor = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None  # never created: nobody holds it
        try:
            if _lock(descriptor, fcntl.LOCK_SH):
                fcntl.flock(descriptor, fcntl.LOCK_UN)
                return None
            return _read_text(self.path)
        finally:
            os.close(descriptor)

    def is_busy(self) -> bool:
        """Whether another process holds it: taken and released at once, for a cheap check before spawning."""
        if self._owned or self._key() in _held:
            return False
        if not self.try_acquire():
            return True
        self.release()
        return False

    def __enter__(self) -> SpecLock:
        if not self.try_acquire():
            raise self._busy_error()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()

    def _key(self) -> str:
        return f"{os.getpid()}:{self.path.absolute()}"

    def _busy_error(self) -> RunBusy:
        holder = self.holder() or "another process"
        return RunBusy(f"run {self.run_id} of {self.task} is being run by {holder}; "
                       "wait for it to finish (its record will appear) or stop it")

    def _open(self, flags: int) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, flags | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            ResultStore(self.root).check_writable()  # the store's usual message when the folder is read-only
            raise HarnessError(f"results folder {self.root} is not writable ({exc.strerror}: {self.path}); "
                               "pass --results DIR with a folder you can write to") from None


def _lock(descriptor: int, kind: int) -> bool:
    """flock without waiting: True when taken, False when another open file holds it."""
    try:
        fcntl.flock(descriptor, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_text(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text.splitlines()[0] if text else None
