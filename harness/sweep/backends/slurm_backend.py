"""The Slurm backend: each planned run is one Slurm job, submitted through submitit; Slurm queues them.

Every job asks for `cpus_per_run` CPUs, `gpus_per_run` GPUs (default 1), `mem_gb` (default: the
partition's) and at most `time_min` minutes on `partition` (default: the cluster's). submitit
keeps its job files and logs in `folder`, which the compute nodes must see (on Slurm clusters the
home and project folders are shared); the results folder need not be. `cluster="local"` runs the
jobs as local processes through submitit's local executor (used by the tests).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.sweep.backends.base import Done, Say
from harness.sweep.backends.remote import run_privately
from harness.sweep.grid import PlannedRun

INSTALL = "the slurm backend needs submitit: pip install 'harness[slurm]'"
POLL_SECONDS = 2.0
UNBOUNDED = 1_000_000  # every run is submitted at once: Slurm decides when each starts


def import_submitit():
    try:
        import submitit
    except ImportError:
        raise HarnessError(INSTALL) from None
    return submitit


class SlurmBackend:
    name = "slurm"
    writes_in_driver = True
    slots = UNBOUNDED

    def __init__(self, folder: Path | str, partition: str | None = None, time_min: int = 120,
                 gpus_per_run: int | None = None, cpus_per_run: int = 1, mem_gb: float | None = None,
                 cluster: str = "slurm"):
        gpus_per_run = 1 if gpus_per_run is None else gpus_per_run
        if cpus_per_run < 1 or gpus_per_run < 0 or time_min < 1:
            raise HarnessError(f"--cpus-per-run {cpus_per_run}, --gpus-per-run {gpus_per_run}, --slurm-time-min "
                               f"{time_min}: a job needs at least 1 CPU, 0 or more GPUs and 1 minute")
        if importlib.util.find_spec("submitit") is None:  # said before planning, not once the first run is due
            raise HarnessError(INSTALL)
        self.folder = Path(folder)
        self.partition, self.time_min, self.mem_gb, self.cluster = partition, time_min, mem_gb, cluster
        self.gpus_per_run, self.cpus_per_run = gpus_per_run, cpus_per_run
        self._executor = None
        self._out: set = set()  # jobs submitted and not yet waited for: cancelled by `close`

    def open(self, say: Say) -> None:
        submitit = import_submitit()
        if self.cluster == "slurm" and shutil.which("sbatch") is None:
            raise HarnessError("the slurm backend submits with Slurm's sbatch, which is not on this machine: run the "
                               "sweep on a login node of the cluster, or use --backend local or ray")
        self._executor = submitit.AutoExecutor(folder=self.folder, cluster=self.cluster)
        self._executor.update_parameters(timeout_min=self.time_min, cpus_per_task=self.cpus_per_run,
                                         gpus_per_node=self.gpus_per_run, mem_gb=self.mem_gb,
                                         slurm_partition=self.partition)
        where = f"partition {self.partition}" if self.partition else "the default partition"
        if self.cluster != "slurm":
            where = f"submitit's {self.cluster} executor"
        memory = f"{self.mem_gb:g} GB" if self.mem_gb else "the default memory"
        say(f"slurm: one job per run on {where}, {self.cpus_per_run} CPU(s), {self.gpus_per_run} GPU(s), {memory} "
            f"and at most {self.time_min} min each; submitit's files and logs in {self.folder}")

    def start(self, run: PlannedRun, options: dict[str, Any]):
        self._executor.update_parameters(name=f"harness-run-{run.spec.run_id(run.task.hash)}")
        job = self._executor.submit(run_privately, run.spec, run.task, options, list(sys.argv))
        self._out.add(job)
        return job

    def wait(self, tickets: Collection) -> tuple[Any, Done]:
        submitit = import_submitit()
        while True:
            for job in tickets:
                if job.done():
                    self._out.discard(job)
                    try:
                        return job, job.result()
                    except submitit.core.utils.FailedJobError:
                        raise  # the run raised something not meant for users: a bug, with its traceback
                    except submitit.core.utils.UncompletedJobError:
                        return job, Done(error=f"its Slurm job {job.job_id} ended without a result (cancelled, past "
                                               f"--slurm-time-min, or out of memory): see {job.paths.stderr}")
            time.sleep(POLL_SECONDS)

    def close(self) -> None:
        for job in self._out:  # the sweep stopped early: nobody would write what they send back
            job.cancel(check=False)
        self._out.clear()

