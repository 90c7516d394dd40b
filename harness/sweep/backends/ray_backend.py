"""The Ray backend: each planned run is one Ray task, on a cluster (`address`) or on a Ray instance
started here for the sweep (loopback only, no dashboard) and shut down after it.

A task asks for `cpus_per_run` CPUs and `gpus_per_run` GPUs (default: 1 when the cluster has GPUs),
runs in a fresh worker process (max_calls=1: its recorded peak memory is its own, as locally) and
is retried once when its worker dies (max_retries=1). The sweep keeps as many runs out as the
cluster's nodes can hold at once. Workers need the harness, the model and the data at the same
paths as here; they need no access to the results folder (harness.sweep.backends.remote).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import socket
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import harness
from harness.errors import HarnessError
from harness.sweep.backends.base import Done, Say
from harness.sweep.backends.remote import run_privately
from harness.sweep.grid import PlannedRun

INSTALL = "the ray backend needs Ray: pip install 'harness[ray]'"
CONNECT_SECONDS = 5.0  # to tell an unreachable address quickly: Ray itself waits minutes
DEFAULT_PORT = 6379  # `ray start --head`'s
RETRIED = "retried once: its first Ray worker died"
# Ray binds loopback only when it believes it runs on a laptop: the same switch, for the instance started here
LOOPBACK_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def import_ray():
    try:
        import ray
    except ImportError:
        raise HarnessError(INSTALL) from None
    return ray


class RayBackend:
    name = "ray"
    writes_in_driver = True

    def __init__(self, address: str | None = None, gpus_per_run: int | None = None, cpus_per_run: int = 1):
        if cpus_per_run < 1 or (gpus_per_run is not None and gpus_per_run < 0):
            raise HarnessError(f"--cpus-per-run {cpus_per_run} / --gpus-per-run {gpus_per_run}: a run needs at least "
                               "1 CPU and 0 or more GPUs")
        if importlib.util.find_spec("ray") is None:  # said before planning, not once the first run is due
            raise HarnessError(INSTALL)
        self.address = address
        self.gpus_per_run = gpus_per_run
        self.cpus_per_run = cpus_per_run
        self._slots = 1
        self._task = None  # the remote function, made once connected
        self._owns_connection = False

    @property
    def slots(self) -> int:
        return self._slots

    def open(self, say: Say) -> None:
        ray = import_ray()
        if ray.is_initialized():  # a caller of the Python API connected already: use it, leave it up
            where = "the Ray instance this process is connected to"
        elif self.address:
            check_reachable(self.address)
            _connect(ray, address=self.address)
            self._owns_connection, where = True, f"the Ray cluster at {self.address}"
        else:
            with _local_instance():
                _connect(ray, address="local", include_dashboard=False)
            self._owns_connection, where = True, "a local Ray instance (loopback only)"
        nodes = [node["Resources"] for node in ray.nodes() if node.get("Alive")]
        has_gpus = any(node.get("GPU", 0) for node in nodes)
        gpus = self.gpus_per_run if self.gpus_per_run is not None else int(has_gpus)
        self._slots = capacity(nodes, self.cpus_per_run, gpus)
        if self._slots == 0:
            self.close()
            largest = max(nodes, key=lambda n: (n.get("GPU", 0), n.get("CPU", 0)), default={})
            raise HarnessError(f"no node of {where} can hold a run of {self.cpus_per_run} CPU(s) and {gpus} GPU(s) "
                               f"(largest: {largest.get('CPU', 0):g} CPUs, {largest.get('GPU', 0):g} GPUs); "
                               "lower --cpus-per-run or --gpus-per-run")
        self._task = ray.remote(max_retries=1, max_calls=1, num_cpus=self.cpus_per_run, num_gpus=gpus)(ray_run)
        total_cpus, total_gpus = sum(n.get("CPU", 0) for n in nodes), sum(n.get("GPU", 0) for n in nodes)
        say(f"ray: {where}, {len(nodes)} node(s), {total_cpus:g} CPUs, {total_gpus:g} GPUs: up to {self._slots} "
            f"runs at a time, {self.cpus_per_run} CPU(s) and {gpus} GPU(s) each")

    def start(self, run: PlannedRun, options: dict[str, Any]):
        run_id = run.spec.run_id(run.task.hash)
        # the name shows in the worker's process title (ray::harness-run-<id>) and in Ray's tools
        return self._task.options(name=f"harness-run-{run_id}").remote(run.spec, run.task, options, list(sys.argv))

    def wait(self, tickets: Collection) -> tuple[Any, Done]:
        ray = import_ray()
        (ticket,), _ = ray.wait(list(tickets), num_returns=1)
        try:
            return ticket, ray.get(ticket)
        except ray.exceptions.RayTaskError:
            raise  # the run raised something not meant for users: a bug, with its traceback
        except ray.exceptions.WorkerCrashedError:
            return ticket, Done(error="its Ray worker died twice, retry included (killed, or out of memory)")
        except ray.exceptions.RayError as exc:
            return ticket, Done(error=f"Ray could not finish it: {_first_line(exc)}")

    def close(self) -> None:
        if self._owns_connection:
            import_ray().shutdown()
            self._owns_connection = False


def ray_run(spec, task, options: dict[str, Any], argv: list[str]) -> Done:
    """The Ray task: the run in a private folder, saying so when this is the retry after a dead worker."""
    done = run_privately(spec, task, options, argv)
    if _attempt_number() > 0:
        done.note = RETRIED
    return done


def capacity(nodes: list[dict[str, float]], cpus_per_run: int, gpus_per_run: int) -> int:
    """How many runs the nodes (their resources) hold at once: each run on one node."""
    total = 0
    for node in nodes:
        fits = int(node.get("CPU", 0) // cpus_per_run)
        if gpus_per_run:
            fits = min(fits, int(node.get("GPU", 0) // gpus_per_run))
        total += fits
    return total


def check_reachable(address: str) -> None:
    """A TCP connection to the head within seconds, else one line saying what to check."""
    if address == "auto":
        return  # found through this machine's running instance; Ray says quickly when there is none
    where = address.removeprefix("ray://")
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit():
        host, port = where, str(DEFAULT_PORT)
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else exc.strerror or type(exc).__name__
        raise HarnessError(f"cannot reach a Ray cluster at --address {address} ({reason}): check that "
                           f"`ray start --head` runs there and the host:port (default port {DEFAULT_PORT}), "
                           "or leave out --address to start a local Ray instance") from None


def _connect(ray, **settings: Any) -> None:
    try:
        ray.init(log_to_driver=False, logging_level=logging.ERROR, **settings)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        raise HarnessError(f"Ray could not connect ({_first_line(exc)}); check --address and that this "
                           "machine runs the same Ray and Python versions as the cluster") from None


@contextmanager
def _local_instance() -> Iterator[None]:
    """While a local instance starts: it binds loopback only, and its workers can import this harness
    (they inherit this environment, whatever the current folder is)."""
    from ray._private import ray_constants  # the switch is read at import; ray is imported already

    saved = {name: os.environ.get(name) for name in (LOOPBACK_SWITCH, "PYTHONPATH")}
    has_switch = hasattr(ray_constants, "ENABLE_RAY_CLUSTER")
    saved_switch = getattr(ray_constants, "ENABLE_RAY_CLUSTER", None)
    root = str(Path(harness.__file__).resolve().parents[1])
    os.environ[LOOPBACK_SWITCH] = "0"
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, saved["PYTHONPATH"]) if p)
    if has_switch:
        ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        if has_switch:
            ray_constants.ENABLE_RAY_CLUSTER = saved_switch
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _attempt_number() -> int:
    """0 on a task's first attempt. Ray has no public call for it: a private one, read defensively."""
    try:
        from ray._private.worker import global_worker

        return int(global_worker.core_worker.get_current_task_attempt_number())
    except Exception:  # noqa: BLE001 - a Ray without it: no retry note, nothing else changes
        return 0


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
