"""Runs already recorded, replayed: rerun from the spec (verify), evaluate the saved model again
(reevaluate), or score it on perturbed data (robustness). Sits above the pipeline that made them.

    report = verify_run("results", RUN_ID, data_dir=...)       # report.identical, report.differences
    report = reevaluate_run("results", RUN_ID, data_dir=...)   # harness verify --eval-only
    record = add_robustness(store, path, record, "all")        # harness robustness
"""

from harness.replay.reevaluate import reevaluate_run
from harness.replay.robustness import add_robustness
from harness.replay.verify import Verification, verify_run

__all__ = ["Verification", "add_robustness", "reevaluate_run", "verify_run"]
