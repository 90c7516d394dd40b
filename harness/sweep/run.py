"""Run a planned grid: recorded runs are skipped, so an interrupted sweep resumes where it stopped."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError
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
             announce: Callable[[str], None] | None = None) -> SweepResult:
    """Each run in turn; a run that fails is reported and the sweep goes on with the next."""
    say = announce or stderr_console.print
    result = SweepResult()
    run_seconds: list[float] = []
    for index, run in enumerate(planned, start=1):
        prefix = f"[bold][{index}/{len(planned)}][/] {run.label}"
        started = time.perf_counter()
        try:
            outcome = execute(run.spec, run.task, output=output, data_dir=data_dir, device=device,
                              show_progress=show_progress, save_model=save_model)
        except HarnessError as exc:
            result.failed.append((run.label, str(exc)))
            say(f"{prefix}: [red]failed[/]: {exc}")
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


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
