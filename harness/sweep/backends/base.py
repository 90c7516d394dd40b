"""What a sweep backend is: something that starts planned runs somewhere and hands back how each ended.

The sweep (harness.sweep.scheduler) decides what runs: it skips recorded runs, puts off runs another
process holds and reports every run. A backend only starts runs and waits for them:

    backend.open(say)                      # once, before the first run needs it (connects, says where)
    ticket = backend.start(run, options)   # while fewer than backend.slots runs are out
    ticket, done = backend.wait(tickets)   # blocks until one of them has ended
    backend.close()

`writes_in_driver` says who writes the record. False (local): the run holds its lock and writes
its record itself. True (ray, slurm): the run executes into a private temporary folder on its
worker and sends back its record and prediction rows; the sweep holds the run's lock here and
writes them, so the results folder and its locks need not be shared with the workers.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import Any, Protocol

from harness.pipeline import RunOutcome
from harness.sweep.grid import PlannedRun

Say = Callable[[str], None]


@dataclass
class Done:
    """How one run ended, as a backend reports it."""

    outcome: RunOutcome | None = None  # local: the run recorded itself (or found its record)
    record: dict[str, Any] | None = None  # remote: the record and prediction rows for the sweep to write
    rows: list[dict[str, Any]] | None = None
    error: str | None = None  # the run failed: one line saying why
    busy: bool = False  # local: another process took the run's lock first
    note: str = ""  # said after the run's result, e.g. that its worker died and it was retried


class Backend(Protocol):
    name: str
    writes_in_driver: bool

    @property
    def slots(self) -> int:
        """How many runs may be out at the same time (1 until `open`)."""

    def open(self, say: Say) -> None:
        """Connect (or start) what runs the runs; a HarnessError saying what to check when that fails."""

    def start(self, run: PlannedRun, options: dict[str, Any]) -> Hashable:
        """Send one run out; `options` are `execute`'s keyword arguments."""

    def wait(self, tickets: Collection[Hashable]) -> tuple[Hashable, Done]:
        """Block until one of `tickets` has ended; that ticket and how it ended."""

    def close(self) -> None:
        """Let go of what `open` took (a Ray instance it started is shut down)."""
