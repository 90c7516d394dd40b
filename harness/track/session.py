"""The trackers of one run: started with its spec, handed the final metrics and the record, closed.

A fine-tuned run's trackers live in its Accelerator (`Accelerator(log_with=...)`, `init_trackers`):
the training loop logs each step's loss and learning rate and each epoch's selection score with
`accelerator.log`, on the main process only. A prompted run trains nothing and builds no
Accelerator: it starts the same accelerate tracker objects itself, as `init_trackers` would.
Either way the final metrics and artifacts go through the same objects here.
"""

from __future__ import annotations

import random
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from accelerate import Accelerator
from accelerate.tracking import GeneralTracker

from harness.errors import HarnessError
from harness.track.build import PROJECT, make_trackers
from harness.track.request import TrackerRequest
from harness.track.values import final_values, run_config
from harness.train.launch import is_main_process


class RunTracking:
    """No trackers asked (or not the main process): every call does nothing."""

    def __init__(self, trackers: list[GeneralTracker], config: dict[str, Any], run_id: str = "",
                 log_dir: Path | None = None) -> None:
        self.trackers, self.config, self.run_id, self.log_dir = trackers, config, run_id, log_dir
        self.started = False

    @classmethod
    def open(cls, request: TrackerRequest | None, spec, task_name: str, run_id: str) -> RunTracking:
        if request is None or not is_main_process():  # under accelerate/torchrun only the main process logs
            return cls([], {})
        tags = {"run_id": run_id, "task": task_name, "model": spec.model, "method": spec.method}
        return cls(make_trackers(request, f"{task_name}-{run_id}", tags),
                   run_config(spec.to_dict(), task_name, run_id), run_id, request.log_dir)

    @property
    def log_with(self) -> list[GeneralTracker] | None:
        """For `Accelerator(log_with=...)`."""
        return self.trackers or None

    def start(self, accelerator: Accelerator | None = None) -> None:
        """Start every tracker and log the spec as hyper-parameters (through `accelerator` when training)."""
        if not self.trackers:
            return
        with _random_state_kept():  # a tracker drawing a run name must not move the run's random streams
            try:
                if accelerator is not None:
                    accelerator.init_trackers(PROJECT, config=self.config)
                else:
                    for tracker in self.trackers:
                        tracker.start()
                        tracker.store_init_configuration(self.config)
            except Exception as exc:  # not logged in, a tracking server out of reach: one line, before training
                first_line = (str(exc).strip().splitlines() or [""])[0]
                raise HarnessError(f"--log-with: a tracker could not start ({type(exc).__name__}: {first_line}); "
                                   "for W&B run `wandb login` or set WANDB_MODE=offline, for MLflow check "
                                   "MLFLOW_TRACKING_URI, or drop that tracker") from None
        self.started = True

    def finish(self, record: dict[str, Any], path: Path) -> None:
        """Log the final metrics and summaries, the record file as an artifact, and close every tracker."""
        if not self.started:
            return
        step = (record.get("training") or {}).get("steps", 0)
        values = final_values(record)
        for tracker in self.trackers:
            tracker.log(values, step=step)
            _ARTIFACT[tracker.name](tracker, path, step, self.run_id)
        self._close()

    def abort(self) -> None:
        """The run failed: close what was started (W&B and MLflow mark the run failed)."""
        if not self.started:
            return
        for tracker in self.trackers:
            if tracker.name == "wandb":
                tracker.tracker.finish(exit_code=1)
            elif tracker.name == "mlflow":
                import mlflow

                mlflow.end_run(status="FAILED")
            else:
                tracker.finish()
        self.started = False

    def _close(self) -> None:
        # tracker by tracker, not accelerator.end_training(): that also destroys the process group,
        # which belongs to the launcher (and a prompted run has no accelerator)
        for tracker in self.trackers:
            tracker.finish()
        self.started = False


def _tensorboard_artifact(tracker: GeneralTracker, path: Path, step: int, run_id: str) -> None:
    """The record as a text summary (TensorBoard's Text tab) and as a file copied beside the event files."""
    text = path.read_text(encoding="utf-8")
    tracker.log({"record": f"```json\n{text}\n```"}, step=step)
    shutil.copy(path, Path(tracker.logging_dir) / path.name)


def _mlflow_artifact(tracker: GeneralTracker, path: Path, step: int, run_id: str) -> None:
    tracker.log_artifact(str(path))


def _wandb_artifact(tracker: GeneralTracker, path: Path, step: int, run_id: str) -> None:
    import wandb

    artifact = wandb.Artifact(f"record-{run_id}", type="run-record")
    artifact.add_file(str(path))
    tracker.tracker.log_artifact(artifact)


_ARTIFACT = {"tensorboard": _tensorboard_artifact, "mlflow": _mlflow_artifact, "wandb": _wandb_artifact}


@contextmanager
def _random_state_kept():
    python, numpy, cpu = random.getstate(), np.random.get_state(), torch.get_rng_state()
    try:
        yield
    finally:
        random.setstate(python)
        np.random.set_state(numpy)
        torch.set_rng_state(cpu)
