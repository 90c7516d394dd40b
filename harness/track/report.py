"""A report made from recorded runs (`harness compare`'s markdown and plot), logged as a tracker run of its own:
its settings as hyper-parameters, its files as artifacts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from accelerate.tracking import GeneralTracker

from harness.track.build import make_trackers
from harness.track.request import TrackerRequest
from harness.track.values import flatten
from harness.train.launch import is_main_process


def log_report(request: TrackerRequest | None, name: str, files: list[Path], settings: dict[str, Any]) -> None:
    """One tracker run named `name` per requested tracker, holding `files` (W&B: one artifact of type 'report')."""
    if request is None or not is_main_process():
        return
    tags = {"task": str(settings.get("task", "")), "method": "compare"}
    for tracker in make_trackers(request, name, tags):
        tracker.start()
        tracker.store_init_configuration(flatten(settings))
        _FILES[tracker.name](tracker, files, name)
        tracker.finish()


def _tensorboard(tracker: GeneralTracker, files: list[Path], name: str) -> None:
    """Copied beside the event files; a markdown report also as a text summary (TensorBoard's Text tab)."""
    for path in files:
        if path.suffix == ".md":
            tracker.log({"report": path.read_text(encoding="utf-8")}, step=0)
        shutil.copy(path, Path(tracker.logging_dir) / path.name)


def _mlflow(tracker: GeneralTracker, files: list[Path], name: str) -> None:
    for path in files:
        tracker.log_artifact(str(path))


def _wandb(tracker: GeneralTracker, files: list[Path], name: str) -> None:
    import wandb

    artifact = wandb.Artifact(name, type="report")
    for path in files:
        artifact.add_file(str(path))
    tracker.tracker.log_artifact(artifact)


_FILES = {"tensorboard": _tensorboard, "mlflow": _mlflow, "wandb": _wandb}
