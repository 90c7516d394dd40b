"""A sweep on a local Ray cluster records what the local backend records; a killed Ray worker's run is retried once.

    python benchmarks/ray_sweep.py [--model minilm] [--seeds 2] [--cpus-per-run 1] [--kill-after 3]
           [--output DIR] [--data-dir DIR]

1. Plans MODEL x full,lora,bitfit,ia3 x sst2 x --seeds seeds (8 runs by default), 64 train and
   64 evaluation examples, 1 epoch, and lists their run ids (`harness sweep --dry-run`).
2. Runs `harness sweep --backend ray --cpus-per-run N` (it starts a local Ray instance, loopback
   only, and shuts it down at the end) into OUTPUT/ray. While it runs, finds the Ray worker
   processes among the raylet's children (their process title is `ray::harness-run-<run id>` once
   the run starts, `ray::IDLE` while the worker still imports) and SIGKILLs the first one that has
   been running its run for --kill-after seconds.
3. Runs the same grid with the local backend (a fresh process per run, one at a time) into
   OUTPUT/local, with OMP_NUM_THREADS=--cpus-per-run as Ray gives its tasks: CPU results are
   bit-identical at equal thread counts only (at 1 vs 2 threads probabilities differ in the 6th decimal).
4. Prints: runs planned, records and distinct run ids per backend, runs whose headline, metrics
   and predictions are equal between the backends (exactly: CPU runs are bit-reproducible), the
   killed run, whether the sweep said it was retried once (and of no other run), and how many
   record files that run has; the addresses Ray listened on (loopback only); the wall time of
   each sweep. Exit 1 if any check fails.

Folders: OUTPUT/ray, OUTPUT/local and the sweeps' logs in OUTPUT/logs (OUTPUT defaults to a new
temporary folder, kept; it must not already hold records). Linux only (reads process titles).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from fault_injection import (
    SUMMARY,
    child_env,
    default_data_dir,
    harness_command,
    planned_runs,
    read_records,
    record_files,
    same_as,
)

TASK = "sst2"
METHODS = "full,lora,bitfit,ia3"
SMALL = ["--train-limit", "64", "--eval-limit", "64", "--epochs", "1"]
TITLE = "ray::harness-run-"  # the Ray task's name, as its worker's process title
RETRIED = "retried once: its first Ray worker died"
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def ray_workers(sweep: psutil.Process) -> dict[int, str]:
    """Workers running a harness run under the sweep's raylet: pid -> run id (an idle worker's title is ray::IDLE)."""
    found = {}
    for raylet in (p for p in _descendants(sweep) if _name(p) == "raylet"):
        for worker in _descendants(raylet):
            try:
                title = " ".join(worker.cmdline())
            except psutil.Error:
                continue
            if title.startswith(TITLE):
                found[worker.pid] = title[len(TITLE):].split()[0]
    return found


def listening_addresses(sweep: psutil.Process) -> set[str]:
    """IP addresses the sweep's processes (Ray's included) accept connections on."""
    found = set()
    for process in _descendants(sweep):
        try:
            found |= {c.laddr.ip for c in process.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
        except psutil.Error:
            continue
    return found


def _descendants(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.Error:
        return []


def _name(process: psutil.Process) -> str:
    try:
        return process.name()
    except psutil.Error:
        return ""


def sweep_on_ray(args: list[str], log: Path, kill_after: float) -> tuple[int, str | None, float, set[str]]:
    """The Ray sweep, one of its workers killed once it has run a while;
    (exit code, killed run id, seconds, addresses its processes listened on)."""
    started = time.monotonic()
    with log.open("w") as handle:
        sweep = subprocess.Popen(harness_command(*args), env=child_env(), stdout=handle, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        killed = None
        seen: dict[int, float] = {}  # worker pid -> when it was first seen running a run
        listening: set[str] = set()
        try:
            leader = psutil.Process(sweep.pid)
            while sweep.poll() is None:
                listening |= listening_addresses(leader)
                if killed is None:
                    for pid, run_id in ray_workers(leader).items():
                        since = seen.setdefault(pid, time.monotonic())
                        if time.monotonic() - since >= kill_after:
                            os.kill(pid, signal.SIGKILL)
                            killed = run_id
                            print(f"killed Ray worker pid {pid} {time.monotonic() - since:.1f} s into run {run_id}",
                                  flush=True)
                            break
                time.sleep(0.2)
        finally:
            if sweep.poll() is None:
                os.killpg(sweep.pid, signal.SIGKILL)
            sweep.wait()
    return sweep.returncode, killed, time.monotonic() - started, listening


def sweep_locally(args: list[str], log: Path, threads: int) -> tuple[int, float]:
    """The local sweep with as many CPU threads per run as a Ray task gets (Ray sets OMP_NUM_THREADS to its
    CPUs): CPU results are bit-exact only at equal thread counts (reductions split differently)."""
    started = time.monotonic()
    with log.open("w") as handle:
        code = subprocess.run(harness_command(*args), env={**child_env(), "OMP_NUM_THREADS": str(threads)},
                              stdout=handle, stderr=subprocess.STDOUT).returncode
    return code, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--seeds", default="2")
    parser.add_argument("--cpus-per-run", type=int, default=1)
    parser.add_argument("--kill-after", type=float, default=3.0,
                        help="seconds into a run (from when its worker takes the run's name) its worker is killed")
    parser.add_argument("--results", type=Path)
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    options = parser.parse_args()
    root = options.output or Path(tempfile.mkdtemp(prefix="ray-sweep-"))
    on_ray, local, logs = root / "ray", root / "local", root / "logs"
    if record_files(on_ray) or record_files(local):
        sys.exit(f"{root} already holds records: pass a new --output")
    logs.mkdir(parents=True, exist_ok=True)

    def sweep_args(output: Path) -> list[str]:
        return ["sweep", "--model", options.model, "--methods", METHODS, "--tasks", TASK, "--seeds", options.seeds,
                *SMALL, "--results", str(output), "--data-dir", str(options.data_dir), "--quiet"]

    runs = planned_runs(sweep_args(on_ray))
    print(f"{len(runs)} runs planned: {options.model} x {METHODS} x {TASK} x seeds {options.seeds}, "
          f"{' '.join(SMALL)}; folders in {root}", flush=True)
    ray_code, killed, ray_seconds, listening = sweep_on_ray(
        [*sweep_args(on_ray), "--backend", "ray", "--cpus-per-run", str(options.cpus_per_run)], logs / "ray.log",
        options.kill_after)
    print(f"ray sweep: exit {ray_code} in {ray_seconds:.0f} s", flush=True)
    local_code, local_seconds = sweep_locally(sweep_args(local), logs / "local.log", options.cpus_per_run)
    print(f"local sweep: exit {local_code} in {local_seconds:.0f} s", flush=True)

    ray_log = (logs / "ray.log").read_text()
    print("--- ray sweep output ---\n" + ray_log.strip() + "\n---", flush=True)
    summary = SUMMARY.search(ray_log)
    retried = [line for line in ray_log.splitlines() if RETRIED in line]
    killed_label = runs.get(killed or "", "")
    killed_files = len(list(on_ray.glob(f"{TASK}/{killed}.json"))) if killed else 0
    ids = list(runs)
    metrics, predictions = same_as(on_ray, local, ids)
    checks = {
        "both sweeps exit 0": ray_code == 0 and local_code == 0,
        f"ray: {len(ids)} ran, none failed": bool(summary) and summary.groups() == (str(len(ids)), "0", "0"),
        "records: one per planned run, each backend": all(len(record_files(folder)) == len(ids) and
                                                          set(read_records(folder)) == set(ids)
                                                          for folder in (on_ray, local)),
        "metrics equal between backends": metrics == len(ids),
        "predictions equal between backends": predictions == len(ids),
        "Ray listened on loopback only": bool(listening) and listening <= LOOPBACK,
        "a worker was killed while running a run": killed is not None,
        "the killed run was retried once, and no other": len(retried) == 1 and f"] {killed_label}:" in retried[0],
        "the killed run is recorded exactly once": killed_files == 1 and killed in read_records(on_ray),
    }
    print(f"runs planned: {len(ids)}")
    for name, folder in (("ray", on_ray), ("local", local)):
        print(f"{name}: records {len(record_files(folder))}, distinct run ids {len(read_records(folder))}")
    print(f"equal between ray and local: metrics {metrics}/{len(ids)}, predictions {predictions}/{len(ids)}")
    print(f"addresses the Ray sweep listened on: {', '.join(sorted(listening)) or 'none seen'}")
    print(f"killed run: {killed} ({killed_label or 'none'}); retry lines: {len(retried)}; "
          f"its record files: {killed_files}")
    kill = "one worker killed" if killed else "no kill"
    print(f"wall time: ray {ray_seconds:.0f} s ({options.cpus_per_run} CPU per run, {kill}), local "
          f"{local_seconds:.0f} s (one run at a time, {options.cpus_per_run} thread(s))")
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
