"""Run a planned grid: recorded runs are skipped, so an interrupted sweep resumes where it stopped.

Each run trains in a fresh process (spawned, one at a time) unless `isolate=False`: the
peak memory it records on CPU is then its own rather than what earlier runs left in the
process, and a run that crashes the interpreter takes only itself down.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError
from harness.quiet import quiet_libraries
from harness.record.store import ResultStore
from harness.runner import RunOutcome, execute
from harness.sweep.grid import PlannedRun
from harness.train.progress import stderr_console


@dataclass
class SweepResult:
    outcomes: list[RunOutcome] = field(default_factory=list)
    ran: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (run label, error)


def run_grid(planned: list[PlannedRun], *, output: Path | str, data_dir: Path | None = None,
             device: str | None = None, show_progress: bool = True, save_model: bool = False,
             isolate: bool = True, announce: Callable[[str], None] | None = None) -> SweepResult:
    """Each run in turn; a run that fails is reported and the sweep goes on with the next."""
    say = announce or stderr_console.print
    store = ResultStore(output)
    result = SweepResult()
    run_seconds: list[float] = []
    for index, run in enumerate(planned, start=1):
        prefix = f"[bold][{index}/{len(planned)}][/] {run.label}"
        started = time.perf_counter()
        options = dict(output=output, data_dir=data_dir, device=device, show_progress=show_progress,
                       save_model=save_model)
        task, run_id = run.task.name, run.spec.run_id(run.task.hash)
        try:
            if store.exists(task, run_id):
                outcome = RunOutcome(store.load(task, run_id), store.record_path(task, run_id), skipped=True)
            elif isolate:
                outcome = _execute_in_fresh_process(run, options)
            else:
                outcome = execute(run.spec, run.task, **options)
        except (HarnessError, BrokenProcessPool) as exc:
            error = str(exc) if isinstance(exc, HarnessError) else "its process died (killed, or out of memory)"
            result.failed.append((run.label, error))
            say(f"{prefix}: [red]failed[/]: {error}")
            continue
        result.outcomes.append(outcome)
        headline = outcome.record["headline"]
        score = f"{headline['metric']} {headline['value']:.4f}"
        if outcome.skipped:
            result.skipped += 1
            say(f"{prefix}: already recorded ({score})")
            continue
        result.ran += 1
        run_seconds.append(time.perf_counter() - started)
        left = len(planned) - index
        eta = f", about {_duration(left * sum(run_seconds) / len(run_seconds))} left" if left else ""
        say(f"{prefix}: {score} in {_duration(run_seconds[-1])}{eta}")
    return result


def _execute_in_fresh_process(run: PlannedRun, options: dict) -> RunOutcome:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=quiet_libraries) as pool:
        return pool.submit(_child_execute, run.spec, run.task, options).result()


def _child_execute(spec, task, options: dict) -> RunOutcome:
    """What the spawned process runs (by module path, so it always reaches the runner's own `execute`)."""
    import harness.runner

    return harness.runner.execute(spec, task, **options)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
