"""accelerate's tracker objects for one run, each writing under the log folder (offline where asked).

    tensorboard  <log_dir>/tensorboard/<task>-<run_id>/      event files (accelerate's TensorBoardTracker)
    mlflow       <log_dir>/mlruns/                           a file store, unless MLFLOW_TRACKING_URI names another
    wandb        <log_dir>/wandb/                            online, or offline-run-* folders when WANDB_MODE=offline
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from accelerate.tracking import GeneralTracker

from harness.track.request import TrackerRequest

PROJECT = "harness"  # the W&B project and MLflow experiment (WANDB_PROJECT / MLFLOW_EXPERIMENT_NAME override it)


def make_trackers(request: TrackerRequest, run_name: str, tags: dict[str, str]) -> list[GeneralTracker]:
    """One tracker object per requested name, not started yet (accelerate's init_trackers starts them)."""
    return [_BUILDERS[name](request.log_dir, run_name, tags) for name in request.names]


def _tensorboard(log_dir: Path, run_name: str, tags: dict[str, str]) -> GeneralTracker:
    from accelerate.tracking import TensorBoardTracker

    return TensorBoardTracker(run_name, str(log_dir / "tensorboard"))


def _mlflow(log_dir: Path, run_name: str, tags: dict[str, str]) -> GeneralTracker:
    import mlflow
    from accelerate.tracking import MLflowTracker

    if not os.environ.get("MLFLOW_TRACKING_URI"):
        # MLflow 3 keeps its file store behind this opt-in (its database stores need SQLAlchemy, which
        # mlflow-skinny leaves out); readers of the store (`mlflow ui`, MlflowClient) need it set too.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        mlflow.set_tracking_uri((log_dir / "mlruns").resolve().as_uri())
    return MLflowTracker(experiment_name=PROJECT, run_name=run_name, tags=tags)


def _wandb(log_dir: Path, run_name: str, tags: dict[str, str]) -> GeneralTracker:
    import wandb
    from accelerate.tracking import WandBTracker

    # console="off": the harness's own progress output stays as it is; silent: no banner per run
    return WandBTracker(os.environ.get("WANDB_PROJECT", PROJECT), name=run_name, dir=str(log_dir.resolve()),
                        mode=wandb_mode(), tags=[tags["task"], tags["method"]],
                        settings=wandb.Settings(console="off", silent=True))


def wandb_mode() -> str | None:
    """WANDB_MODE when set (wandb reads it); else offline on a machine marked offline (HF_HUB_OFFLINE=1),
    where an online run could only wait for a server it cannot reach; else wandb's default (online)."""
    if os.environ.get("WANDB_MODE"):
        return None
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return "offline"
    return None


_BUILDERS: dict[str, Callable[[Path, str, dict[str, str]], GeneralTracker]] = {
    "tensorboard": _tensorboard, "mlflow": _mlflow, "wandb": _wandb,
}
