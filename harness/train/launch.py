"""What the launcher (accelerate launch, torchrun) started: how many processes, which one this is.

The harness never starts processes itself; it reads what torch.distributed's launchers put in
the environment (RANK, WORLD_SIZE, LOCAL_WORLD_SIZE) and refuses launches that cannot work
before anything loads.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from harness.errors import HarnessError
from harness.train.sharding import check_sharded_launch


# Where torchrun (RANK, WORLD_SIZE) and the MPI launchers accelerate uses for CPU runs put them.
_RANK = ("RANK", "PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK")
_WORLD = ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")
_LOCAL_WORLD = ("LOCAL_WORLD_SIZE", "MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "MV2_COMM_WORLD_LOCAL_SIZE")


def _first_int(names: tuple[str, ...], default: int) -> int:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return default


def process_rank() -> int:
    """0 for the main process (and for a plain, single-process run)."""
    return _first_int(_RANK, 0)


def is_main_process() -> bool:
    return process_rank() == 0


def check_launch(device: str | None, method: str | None = None, variant: str | None = None) -> None:
    """One clear error for launches that would silently do something else than asked, or that shard
    weights in a way the run (its `method`, its `variant`) cannot follow."""
    check_sharded_launch(method, variant)
    world = _first_int(_WORLD, 1)
    local = _first_int(_LOCAL_WORLD, world)
    uses_cuda = device != "cpu" and torch.cuda.is_available()
    if uses_cuda and local > torch.cuda.device_count():
        raise HarnessError(f"{local} processes were launched on this machine but only {torch.cuda.device_count()} "
                           f"GPU(s) are visible; launch at most {torch.cuda.device_count()} (--num_processes / "
                           "--nproc_per_node), one per GPU")
    if world == 1 and os.environ.get("ACCELERATE_USE_CPU", "").lower() == "true":
        asked = _accelerate_processes_asked()
        if asked > 1:
            raise HarnessError(f"`accelerate launch --cpu --num_processes {asked}` started a single process: accelerate "
                               "spreads CPU runs over processes only through mpirun; add --mpirun_hostfile FILE (an "
                               f"MPI installed, FILE holding 'localhost slots={asked}'), or use `accelerate launch "
                               f"--multi_gpu --num_processes {asked}` (without GPUs it runs {asked} CPU processes over "
                               f"gloo) or `torchrun --nproc_per_node {asked}`")


def _accelerate_processes_asked() -> int:
    """--num_processes on the command line of the `accelerate launch` that started this process."""
    try:
        arguments = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return 1
    for i, argument in enumerate(arguments):
        for flag in ("--num_processes", "--num-processes"):
            if argument == flag and i + 1 < len(arguments) and arguments[i + 1].isdigit():
                return int(arguments[i + 1])
            if argument.startswith(flag + "="):
                value = argument.split("=", 1)[1]
                return int(value) if value.isdigit() else 1
    return 1
