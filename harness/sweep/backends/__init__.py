"""Where a sweep's runs execute, by name: local (default), ray, slurm.

    backend = make_backend("ray", address=None, gpus_per_run=None, cpus_per_run=1)
    run_grid(planned, output=..., backend=backend)

A backend module is imported only when asked for, so Ray and submitit stay optional extras.
"""

from __future__ import annotations

import importlib
from typing import Any

from harness.errors import unknown_name

# name -> (module, class); the local backend is built by harness.sweep.scheduler itself (run_grid's default)
BACKENDS: dict[str, tuple[str, str]] = {
    "local": ("harness.sweep.backends.local", "LocalBackend"),
    "ray": ("harness.sweep.backends.ray_backend", "RayBackend"),
    "slurm": ("harness.sweep.backends.slurm_backend", "SlurmBackend"),
}


def check_backend(name: str) -> str:
    if name not in BACKENDS:
        raise unknown_name("sweep backend", name, BACKENDS)
    return name


def make_backend(name: str, **settings: Any):
    """The backend `name` built with `settings` (its constructor's keyword arguments)."""
    module, cls = BACKENDS[check_backend(name)]
    return getattr(importlib.import_module(module), cls)(**settings)
