"""A progress bar per evaluation split while prompts are scored."""

from __future__ import annotations

from collections.abc import Callable

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from harness.train.progress import stderr_console


class ScoringProgress:
    def __init__(self, enabled: bool = True) -> None:
        self.bar = Progress(TextColumn("[bold]scoring {task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TimeRemainingColumn(), console=stderr_console,
                            disable=not enabled, refresh_per_second=2)

    def __enter__(self) -> ScoringProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def start(self, split: str, total: int) -> Callable[[int], None]:
        """A callback advancing a new bar for `split` by the number of examples scored."""
        task = self.bar.add_task(split, total=total)
        return lambda done: self.bar.advance(task, done)
