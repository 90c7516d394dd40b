"""Errors a user can act on.

Anything raised as a HarnessError reaches the user as one line on stderr with the
exit code below, never as a traceback. Everything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

BAD_INPUT = 2  # unknown names, malformed files, invalid options, missing data
RUN_FAILED = 1  # the input was fine but the run could not finish


class HarnessError(Exception):
    """A problem the user can fix; the message says what was wrong and how to fix it."""

    exit_code = BAD_INPUT


class RunFailed(HarnessError):
    """The run started but could not finish (diverged, out of memory, ...)."""

    exit_code = RUN_FAILED


def did_you_mean(name: str, valid: Iterable[str], cutoff: float = 0.5) -> str:
    """'; did you mean sst2?' for the closest valid names, or '' when none is close."""
    close = difflib.get_close_matches(name, list(valid), n=3, cutoff=cutoff)
    return f"; did you mean {', '.join(close)}?" if close else ""


def unknown_name(kind: str, name: str, valid: Iterable[str]) -> HarnessError:
    """'unknown task 'sst'; did you mean sst2? (valid: ...)'."""
    valid = sorted(valid)
    return HarnessError(f"unknown {kind} '{name}'{did_you_mean(name, valid)} (valid: {', '.join(valid)})")
