"""The local backend: one run at a time on this machine, each in a fresh process unless told otherwise.

Each run trains in a fresh spawned process (`isolate`): the peak memory it records on CPU is then
its own rather than what earlier runs left in the process, and a run that crashes the interpreter
takes only itself down. That process is killed with the sweep (Linux), so a killed sweep leaves no
run behind still writing. The run takes its own lock and writes its own record.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Collection
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from harness.errors import HarnessError
from harness.record.lock import RunBusy
from harness.pipeline import RunOutcome
from harness.sweep.backends.base import Done, Say
from harness.sweep.child import child_execute, child_setup
from harness.sweep.grid import PlannedRun

RunInProcess = Callable[..., RunOutcome]  # `execute`'s signature


class LocalBackend:
    name = "local"
    writes_in_driver = False
    slots = 1

    def __init__(self, in_process: RunInProcess, isolate: bool = True):
        self._in_process = in_process
        self._isolate = isolate
        self._finished: dict[int, Done] = {}
        self._numbers = itertools.count()

    def open(self, say: Say) -> None:
        pass

    def start(self, run: PlannedRun, options: dict[str, Any]) -> int:
        """Runs it to the end right here (one slot): `wait` then only hands the result over."""
        ticket = next(self._numbers)
        try:
            outcome = (_execute_in_fresh_process(run, options) if self._isolate
                       else self._in_process(run.spec, run.task, **options))
            self._finished[ticket] = Done(outcome=outcome)
        except RunBusy:
            self._finished[ticket] = Done(busy=True)
        except (HarnessError, BrokenProcessPool) as exc:
            error = str(exc) if isinstance(exc, HarnessError) else "its process died (killed, or out of memory)"
            self._finished[ticket] = Done(error=error)
        except Exception as exc:  # a bug in one run must not stop the others: report it, go on
            self._finished[ticket] = Done(error=f"unexpected error {type(exc).__name__}: {exc} (a bug: please "
                                                "report it; `harness run` with this run's flags shows the traceback)")
        return ticket

    def wait(self, tickets: Collection[int]) -> tuple[int, Done]:
        ticket = next(iter(tickets))
        return ticket, self._finished.pop(ticket)

    def close(self) -> None:
        self._finished.clear()


def _execute_in_fresh_process(run: PlannedRun, options: dict) -> RunOutcome:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=child_setup, initargs=(os.getpid(),)) as pool:
        return pool.submit(child_execute, run.spec, run.task, options).result()
