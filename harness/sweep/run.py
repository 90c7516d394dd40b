"""Run a planned grid: recorded runs are skipped, so an interrupted sweep resumes where it stopped.

Each run trains in a fresh process (spawned, one at a time) unless `isolate=False`: the
peak memory it records on CPU is then its own rather than what earlier runs left in the
process, and a run that crashes the interpreter takes only itself down. That process is
killed with the sweep (Linux), so a killed sweep leaves no run behind still writing.

Several sweeps may share a results folder: a run is locked (harness.record.lock) while it
runs, and a run another process holds is put off to the end of the queue, then waited for:
recorded by then, it counts as already recorded; not (that process died), it runs here.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError
from harness.record.lock import RunBusy, SpecLock
from harness.record.store import ResultStore
from harness.runner import RunOutcome, execute
from harness.train.checkpoint import DEFAULT_CHECKPOINT_MINUTES
from harness.sweep.child import child_execute, child_setup
from harness.sweep.grid import PlannedRun
from harness.train.progress import stderr_console

@dataclass
class SweepResult:
    outcomes: list[RunOutcome] = field(default_factory=list)
    ran: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (run label, error)
    deferred: int = 0  # runs found busy in another process and come back to at the end


def run_grid(planned: list[PlannedRun], *, output: Path | str, data_dir: Path | None = None,
             device: str | None = None, show_progress: bool = True, save_model: bool = False,
             isolate: bool = True, announce: Callable[[str], None] | None = None, checkpoint_every: int = 0,
             checkpoint_minutes: float = DEFAULT_CHECKPOINT_MINUTES) -> SweepResult:
    """Each run in turn; a run that fails is reported and the sweep goes on with the next.
    A run an earlier attempt left a checkpoint of continues from it."""
    say = announce or stderr_console.print
    store = ResultStore(output)
    options = dict(output=output, data_dir=data_dir, device=device, show_progress=show_progress,
                   save_model=save_model, resume=True, checkpoint_every=checkpoint_every,
                   checkpoint_minutes=checkpoint_minutes)
    result = SweepResult()
    run_seconds: list[float] = []
    deferred: list[tuple[str, PlannedRun]] = []

    def attempt(prefix: str, run: PlannedRun, left: int) -> str | None:
        """Run or skip one run and report it; the holder's text when another process has it."""
        task, run_id = run.task.name, run.spec.run_id(run.task.hash)
        started = time.perf_counter()
        try:
            if store.exists(task, run_id):
                outcome = RunOutcome(store.load(task, run_id), store.record_path(task, run_id), skipped=True)
            else:
                lock = SpecLock(output, task, run_id)
                if lock.is_busy():  # cheap check; the child may still lose a race, and says so with RunBusy
                    return lock.holder() or "another process"
                outcome = _execute_in_fresh_process(run, options) if isolate else execute(run.spec, run.task, **options)
        except RunBusy:
            return SpecLock(output, task, run_id).holder() or "another process"
        except (HarnessError, BrokenProcessPool) as exc:
            error = str(exc) if isinstance(exc, HarnessError) else "its process died (killed, or out of memory)"
            result.failed.append((run.label, error))
            say(f"{prefix}: [red]failed[/]: {error}")
            return None
        result.outcomes.append(outcome)
        headline = outcome.record["headline"]
        score = f"{headline['metric']} {headline['value']:.4f}"
        if outcome.skipped:
            result.skipped += 1
            say(f"{prefix}: already recorded ({score})")
            return None
        result.ran += 1
        run_seconds.append(time.perf_counter() - started)
        eta = f", about {_duration(left * sum(run_seconds) / len(run_seconds))} left" if left else ""
        say(f"{prefix}: {score} in {_duration(run_seconds[-1])}{eta}")
        return None

    for index, run in enumerate(planned, start=1):
        prefix = f"[bold][{index}/{len(planned)}][/] {run.label}"
        holder = attempt(prefix, run, len(planned) - index + len(deferred))
        if holder is not None:
            deferred.append((prefix, run))
            result.deferred += 1
            say(f"{prefix}: is being run by {holder}; coming back to it")
    for position, (prefix, run) in enumerate(deferred, start=1):
        while True:  # until recorded (by whoever) or failed; a lost race means waiting again
            lock = SpecLock(output, run.task.name, run.spec.run_id(run.task.hash))
            holder = lock.holder()
            if holder is not None:
                say(f"{prefix}: waiting for {holder} to finish it")
            lock.acquire()
            lock.release()  # the child takes it for the run itself
            holder = attempt(prefix, run, len(deferred) - position)
            if holder is None:
                break
    return result


def _execute_in_fresh_process(run: PlannedRun, options: dict) -> RunOutcome:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=child_setup, initargs=(os.getpid(),)) as pool:
        return pool.submit(child_execute, run.spec, run.task, options).result()


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
