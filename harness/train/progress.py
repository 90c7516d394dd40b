"""Progress bars on stderr (stdout stays clean for --json)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

stderr_console = Console(stderr=True)


def training_progress(enabled: bool = True) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("{task.fields[speed]} ex/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr_console,
        disable=not enabled,
        transient=False,
        refresh_per_second=2,  # redraws hold the GIL: keep them rare on small CPUs
    )
