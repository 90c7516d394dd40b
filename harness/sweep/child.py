"""What a sweep's spawned run process executes. Only the standard library at import time, so a
run process asks to die with its sweep before it spends seconds importing torch."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def child_setup(sweep_pid: int) -> None:
    """Pool initializer: die with the sweep, and keep library chatter down."""
    die_with_parent(sweep_pid)
    from harness.quiet import quiet_libraries

    quiet_libraries()


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies (PR_SET_PDEATHSIG); elsewhere nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the sweep died before the request was in place
        os.kill(os.getpid(), signal.SIGKILL)


def child_execute(spec, task, options: dict):
    """The run itself; `execute` holds the run's lock in this process, so it dies with it."""
    from harness.pipeline import execute

    return execute(spec, task, **options)
