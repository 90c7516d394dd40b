"""A tracker request (`--log-with`, `--log-dir`), checked in full before any model loads."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError, unknown_name
from harness.track.kinds import TRACKERS, installed

# Beside the results folder, not in it: `harness results check` reports files it does not know there.
DEFAULT_LOG_DIR = Path("tracking")


@dataclass(frozen=True)
class TrackerRequest:
    names: tuple[str, ...]  # in the order asked, each once
    log_dir: Path  # TensorBoard events, the MLflow file store and W&B's offline runs go under it


def tracker_request(values: tuple[str, ...] | list[str], log_dir: Path | None) -> TrackerRequest | None:
    """`--log-with` values (repeatable, comma lists) as a checked request; None when none was asked.

    Refused here, before training rather than after it: an unknown tracker, one whose package is not
    installed, and a log folder that cannot be written. A long run that cannot be tracked is better
    refused at once than found untracked hours later (or failing at its first logging call).
    """
    names = tuple(dict.fromkeys(name.strip().lower() for value in values for name in value.split(",")
                                if name.strip()))
    if not names:
        return None
    for name in names:
        if name not in TRACKERS:
            raise unknown_name("tracker", name, TRACKERS)
        kind = TRACKERS[name]
        if not installed(kind):
            raise HarnessError(f"--log-with {name}: the {kind.module} package is not installed; install it with "
                               f"pip install 'harness[{kind.extra}]' (or drop {name})")
    log_dir = Path(log_dir or DEFAULT_LOG_DIR)
    check_writable(log_dir)
    return TrackerRequest(names, log_dir)


def check_writable(log_dir: Path) -> None:
    if log_dir.exists() and not log_dir.is_dir():
        raise HarnessError(f"tracker folder {log_dir} is a file, not a folder; pass --log-dir DIR with a folder "
                           "you can write to")
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=log_dir):
            pass
    except OSError as exc:
        raise HarnessError(f"tracker folder {log_dir} is not writable ({exc.strerror}); pass --log-dir DIR with a "
                           "folder you can write to") from None
