"""Run a planned grid: recorded runs are skipped, so an interrupted sweep resumes where it stopped.

Where the runs execute is a backend's business (harness.sweep.backends): by default each run
trains in a fresh process on this machine, one at a time (backends/local.py); `ray` and `slurm`
send them to a cluster, as many at a time as it holds. What runs, in which order, and what is said
about each is decided here, the same whatever the backend.

Several sweeps may share a results folder: a run is locked (harness.record.lock) while it
runs, and a run another process holds is put off to the end of the queue, then waited for:
recorded by then, it counts as already recorded; not (that process died), it runs here.
A local run takes its lock itself; for a cluster backend this process holds the lock while the
run is out and writes the record and predictions its worker sends back.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError
from harness.pipeline import RunOutcome, execute
from harness.record.lock import SpecLock
from harness.record.store import ResultStore
from harness.sweep.backends.base import Backend, Done
from harness.sweep.backends.local import LocalBackend
from harness.sweep.grid import PlannedRun
from harness.tasks.fingerprint import data_change
from harness.track import TrackerRequest
from harness.train.checkpoint import DEFAULT_CHECKPOINT_MINUTES
from harness.train.progress import stderr_console


@dataclass
class SweepResult:
    outcomes: list[RunOutcome] = field(default_factory=list)
    ran: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (run label, error)
    deferred: int = 0  # runs found busy in another process and come back to at the end


@dataclass
class _Out:
    """A run a backend has out."""
    prefix: str
    run: PlannedRun
    lock: SpecLock | None  # held here until its record is written (cluster backends)
    started: float


def run_grid(planned: list[PlannedRun], *, output: Path | str, data_dir: Path | None = None,
             device: str | None = None, show_progress: bool = True, save_model: bool = False,
             isolate: bool = True, announce: Callable[[str], None] | None = None, checkpoint_every: int = 0,
             checkpoint_minutes: float = DEFAULT_CHECKPOINT_MINUTES, backend: Backend | None = None,
             trackers: TrackerRequest | None = None) -> SweepResult:
    """Each run in turn (or as many at a time as `backend` holds); a run that fails is reported and the
    sweep goes on. A run an earlier local attempt left a checkpoint of continues from it (local backend).
    `trackers` (harness.track): every run that runs logs to them, each as a tracker run of its own."""
    backend = backend or LocalBackend(_in_process, isolate)
    _check_backend_options(backend, save_model, isolate, checkpoint_every)
    options = dict(output=output, data_dir=data_dir, device=device, show_progress=show_progress,
                   save_model=save_model, resume=True, checkpoint_every=checkpoint_every,
                   checkpoint_minutes=checkpoint_minutes, trackers=trackers)
    return _Sweep(planned, output, backend, options, announce or stderr_console.print).run()


class _Sweep:
    """One pass over the planned runs, then over those put off; what is said about each run."""

    def __init__(self, planned: list[PlannedRun], output: Path | str, backend: Backend, options: dict,
                 say: Callable[[str], None]):
        self.output, self.backend, self.options, self.say = output, backend, options, say
        self.store = ResultStore(output)
        self.result = SweepResult()
        self.pending = deque((f"[bold][{index}/{len(planned)}][/] {run.label}", run)
                             for index, run in enumerate(planned, start=1))
        self.out: dict[Hashable, _Out] = {}
        self.deferred: list[tuple[str, PlannedRun]] = []
        self.waiting = 0  # deferred runs not come back to yet (for the time left)
        self.run_seconds: list[float] = []
        self.opened = False

    def run(self) -> SweepResult:
        try:
            while self.pending or self.out:
                while self.pending and len(self.out) < self.backend.slots:
                    prefix, run = self.pending.popleft()
                    self.begin(prefix, run)
                if self.out:
                    self.finish(*self.backend.wait(list(self.out)))
            for position, (prefix, run) in enumerate(self.deferred, start=1):
                self.waiting = len(self.deferred) - position
                while True:  # until recorded (by whoever) or failed; a lost race means waiting again
                    lock = SpecLock(self.output, run.task.name, run.spec.run_id(run.task.hash))
                    holder = lock.holder()
                    if holder is not None:
                        self.say(f"{prefix}: waiting for {holder} to finish it")
                    lock.acquire()
                    lock.release()  # the run (or `begin`, for a cluster backend) takes it for the run itself
                    holder = self.begin(prefix, run, defer=False)
                    if holder is None and self.out:
                        holder = self.finish(*self.backend.wait(list(self.out)), defer=False)
                    if holder is None:
                        break
        finally:
            for entry in self.out.values():  # interrupted: what is still out will not be recorded by this sweep
                if entry.lock is not None:
                    entry.lock.release()
            self.backend.close()
        return self.result

    def begin(self, prefix: str, run: PlannedRun, defer: bool = True) -> str | None:
        """Skip the run if recorded, else send it out; when another process has it, put it off
        (`defer`) or return the holder's text."""
        task, run_id = run.task.name, run.spec.run_id(run.task.hash)
        lock = SpecLock(self.output, task, run_id)
        held = lock if self.backend.writes_in_driver else None
        try:
            if not self.store.exists(task, run_id):
                if held is not None:
                    busy = not lock.try_acquire()
                else:
                    busy = lock.is_busy()  # cheap check; the run may still lose a race, and says so (Done.busy)
                if busy:
                    return self.put_off(prefix, run, lock.holder() or "another process", defer)
        except HarnessError as exc:  # e.g. a results folder that cannot be written
            self.fail(prefix, run, str(exc))
            return None
        try:
            if self.store.exists(task, run_id):  # recorded before, or by another process before we took the lock
                if held is not None:
                    held.release()
                try:
                    record = self.store.load(task, run_id)
                except HarnessError as exc:  # damaged: the run fails, the file stays for the user, the sweep goes on
                    self.fail(prefix, run, str(exc))
                    return None
                changed = data_change(record, run.task, self.options["data_dir"])
                if changed:  # not this data's result: reusing it would be wrong, replacing it is the user's call
                    self.fail(prefix, run, changed)
                else:
                    self.report(prefix, RunOutcome(record, self.store.record_path(task, run_id), skipped=True),
                                time.perf_counter())
                return None
            if not self.opened:  # connect only once a run needs it: a sweep with nothing left touches no cluster
                self.backend.open(self.say)
                self.opened = True
            started = time.perf_counter()
            ticket = self.backend.start(run, self.options)
        except BaseException:
            if held is not None:
                held.release()
            raise
        self.out[ticket] = _Out(prefix, run, held, started)
        return None

    def finish(self, ticket: Hashable, done: Done, defer: bool = True) -> str | None:
        """Report a run that ended, writing what a cluster worker sent back; a run another process took
        first is put off (`defer`) or its holder's text returned."""
        entry = self.out.pop(ticket)
        task, run_id = entry.run.task.name, entry.run.spec.run_id(entry.run.task.hash)
        try:
            if done.busy:
                holder = SpecLock(self.output, task, run_id).holder() or "another process"
                return self.put_off(entry.prefix, entry.run, holder, defer)
            if done.error is not None:
                self.fail(entry.prefix, entry.run, done.error)
                return None
            outcome = done.outcome
            if outcome is None:
                outcome = RunOutcome(done.record, self.store.write(done.record, done.rows), skipped=False)
                # a checkpoint an earlier local attempt left is of no use now that the run is recorded
                self.store.checkpoint_path(task, run_id).unlink(missing_ok=True)
        finally:
            if entry.lock is not None:
                entry.lock.release()
        self.report(entry.prefix, outcome, entry.started, done.note)
        return None

    def put_off(self, prefix: str, run: PlannedRun, holder: str, defer: bool) -> str | None:
        if not defer:
            return holder
        self.deferred.append((prefix, run))
        self.result.deferred += 1
        self.waiting += 1
        self.say(f"{prefix}: is being run by {holder}; coming back to it")
        return None

    def report(self, prefix: str, outcome: RunOutcome, started: float, note: str = "") -> None:
        self.result.outcomes.append(outcome)
        headline = outcome.record["headline"]
        score = f"{headline['metric']} {headline['value']:.4f}"
        if outcome.skipped:
            self.result.skipped += 1
            self.say(f"{prefix}: already recorded ({score})")
            return
        self.result.ran += 1
        self.run_seconds.append(time.perf_counter() - started)
        left = len(self.pending) + len(self.out) + self.waiting
        per_run = sum(self.run_seconds) / len(self.run_seconds)
        eta = f", about {_duration(left * per_run / min(self.backend.slots, left))} left" if left else ""
        said = f" ({note})" if note else ""
        self.say(f"{prefix}: {score} in {_duration(self.run_seconds[-1])}{said}{eta}")

    def fail(self, prefix: str, run: PlannedRun, error: str) -> None:
        self.result.failed.append((run.label, error))
        self.say(f"{prefix}: [red]failed[/]: {error}")


def _in_process(spec, task, **options) -> RunOutcome:
    """`execute`, looked up when called: a caller (a test) may stand in for it."""
    return execute(spec, task, **options)


def _check_backend_options(backend: Backend, save_model: bool, isolate: bool, checkpoint_every: int) -> None:
    """What only the local backend can do, refused before anything runs."""
    if not backend.writes_in_driver:
        return
    for given, flag, why in ((save_model, "--save-model", "the weights would stay on the worker"),
                             (not isolate, "--in-process", "cluster runs always run in their own process"),
                             (checkpoint_every, "--checkpoint-every", "a retried cluster run starts over")):
        if given:
            raise HarnessError(f"{flag} works with --backend local only ({why}); drop it, or run the sweep "
                               "with --backend local")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
