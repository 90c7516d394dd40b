"""What a run does on a cluster worker (Ray or Slurm): execute into a private temporary folder and
send back the record and the prediction rows; the sweep writes them into the results folder.

Nothing here needs the results folder, so workers need no shared file system for results and
never touch the run's lock: the sweep holds it on its own machine while the run is out.
"""

from __future__ import annotations

import sys
import tempfile
from typing import Any

from harness.errors import HarnessError
from harness.sweep.backends.base import Done

# Off on a worker: a private folder outlives neither the run nor a retry, so a checkpoint could
# never be resumed from, and weights saved there would be lost (the sweep refuses --save-model).
PRIVATE = {"show_progress": False, "save_model": False, "resume": False, "checkpoint_every": 0,
           "checkpoint_minutes": 0}


def run_privately(spec, task, options: dict[str, Any], argv: list[str]) -> Done:
    """Execute one run into a temporary folder; its record and rows, or the one-line error a user can act on.

    `argv` is the sweep's command line: records carry the command that made them, and this
    process's own (a Ray or submitit worker's) would say nothing useful.
    """
    from harness.quiet import quiet_libraries
    from harness.record.store import ResultStore
    from harness.pipeline import execute

    quiet_libraries()
    sys.argv = list(argv)
    with tempfile.TemporaryDirectory(prefix="harness-run-") as folder:
        try:
            outcome = execute(spec, task, **{**options, **PRIVATE, "output": folder})
        except HarnessError as exc:
            return Done(error=str(exc))
        record = outcome.record
        rows = ResultStore(folder).load_predictions(record["task"]["name"], record["run_id"])
    return Done(record=record, rows=rows)
