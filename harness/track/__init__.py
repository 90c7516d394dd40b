"""Experiment trackers (W&B, MLflow, TensorBoard) through accelerate's tracker classes.

    request = tracker_request(["tensorboard,mlflow"], log_dir)   # checked before any model loads
    tracking = RunTracking.open(request, spec, task, run_id)      # the trackers of one run (main process only)

kinds.py names the trackers and their extras, request.py checks a request, build.py makes
accelerate's tracker objects (offline where asked), values.py turns a spec and a record into
what is logged, session.py logs them. Trackers are not part of a run's spec: its record and
run id are the same with or without them.
"""

from harness.track.kinds import TRACKERS
from harness.track.request import DEFAULT_LOG_DIR, TrackerRequest, tracker_request
from harness.track.session import RunTracking

__all__ = ["DEFAULT_LOG_DIR", "TRACKERS", "RunTracking", "TrackerRequest", "tracker_request"]
