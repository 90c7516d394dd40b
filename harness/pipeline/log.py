"""What a run says on stderr while it works."""

from __future__ import annotations

from harness.train.launch import is_main_process
from harness.train.progress import stderr_console


def log(message: str) -> None:
    if is_main_process():  # under accelerate/torchrun the other processes stay silent
        stderr_console.print(message)
