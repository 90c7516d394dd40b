"""Which trackers exist, the module each needs and the extra that installs it (one place to add one)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class TrackerKind:
    name: str  # as accelerate names it (`Accelerator(log_with=name)`)
    module: str  # what must import for it to work
    extra: str  # pip install 'harness[extra]'


TRACKERS = {kind.name: kind for kind in (
    TrackerKind("tensorboard", "tensorboard", "tensorboard"),  # torch.utils.tensorboard writes with it
    TrackerKind("mlflow", "mlflow", "mlflow"),  # mlflow-skinny provides the module
    TrackerKind("wandb", "wandb", "wandb"),
)}


def installed(kind: TrackerKind) -> bool:
    """Whether its package imports (imported now: the run will import it anyway)."""
    try:
        importlib.import_module(kind.module)
    except ImportError:
        return False
    return True
