"""Kill a sweep with SIGKILL at random moments, resume it each time, and check that nothing was lost or doubled.

    python benchmarks/fault_injection.py [--runs 12] [--kills 5] [--model minilm] [--output DIR] [--seed S]
           [--window 2,45] [--data-dir DIR]

1. Plans a grid of at least --runs small runs: MODEL x full,lora,bitfit,ia3 x sst2 x enough seeds,
   64 train and 32 evaluation examples, 1 epoch of 8 updates, checkpointed every 2 updates (each
   run is 10-20 s on 2 CPU cores), so kills inside training resume from a checkpoint.
2. Starts `harness sweep ... --quiet` in its own process group and SIGKILLs it at a moment drawn
   uniformly from --window seconds after its start (seeded by --seed): the draws land in start-up,
   inside runs (training, writing) and between runs. Even-numbered kills hit the sweep process
   alone first and check its run child dies with it (PR_SET_PDEATHSIG; a child still importing
   dies when its set-up finds the sweep gone), then kill the rest of the group. The same sweep
   is restarted after each kill, --kills times, then left to finish.
3. Runs the same grid uninterrupted into a second folder.
4. Prints the counts: runs planned, kills, records, distinct run ids, duplicates, corrupt files
   (`harness results check`; .tmp leftovers of a killed write are counted apart: the atomic write
   leaves them and the record they were replacing is intact), orphans, and how many runs have
   the headline, every metric and every prediction equal to the uninterrupted sweep (exactly:
   CPU runs are bit-reproducible). Exit 1 if any check fails.

Folders: OUTPUT/interrupted and OUTPUT/uninterrupted (OUTPUT defaults to a new temporary folder,
kept; it must not already hold records), plus each sweep attempt's log in OUTPUT/logs. Linux only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TASK = "sst2"
METHODS = "full,lora,bitfit,ia3"
# Small runs, checkpointed every 2 of their 8 updates: a kill inside training resumes from a checkpoint.
SMALL = ["--train-limit", "64", "--eval-limit", "32", "--max-length", "64", "--epochs", "1", "--batch-size", "8",
         "--checkpoint-every", "2"]
SUMMARY = re.compile(r"sweep done: (\d+) ran, (\d+) already recorded, (\d+) failed")
GRACE_SECONDS = 20.0  # how long a run child may take to notice its sweep is gone (finishing its imports)


def default_data_dir() -> Path:
    return Path(os.environ.get("HARNESS_DATA_DIR") or REPO.parent / "shared" / "data")


def harness_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness.cli.main", *args]


def child_env() -> dict[str, str]:
    """Offline, this checkout's harness, and wide lines (rich wraps at 80 columns when not on a terminal)."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), "COLUMNS": "1000"}


def sweep_args(model: str, methods: str, seeds: str, output: Path, data_dir: Path) -> list[str]:
    return ["sweep", "--model", model, "--methods", methods, "--tasks", TASK, "--seeds", seeds, *SMALL,
            "--results", str(output), "--data-dir", str(data_dir), "--quiet"]


def planned_runs(args: list[str]) -> dict[str, str]:
    """run id -> label, from the sweep's --dry-run listing ("<run id>  <label>" per line)."""
    done = subprocess.run(harness_command(*args, "--dry-run"), env=child_env(), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"planning the sweep failed: {done.stderr.strip()}")
    return dict(line.split("  ", 1) for line in done.stdout.splitlines() if line.strip())


def planned_ids(args: list[str]) -> list[str]:
    """Run ids of a sweep, in its order."""
    return list(planned_runs(args))


def record_files(output: Path) -> list[Path]:
    return sorted(output.glob("*/*.json"))


def read_records(output: Path) -> dict[str, dict]:
    """run id -> record (the last file wins when an id is recorded twice; count the files apart)."""
    return {record["run_id"]: record for record in (json.loads(p.read_text()) for p in record_files(output))}


def results_check(output: Path) -> tuple[list[dict], list[dict]]:
    """`harness results check --json`: (problems, .tmp leftovers)."""
    done = subprocess.run(harness_command("results", "check", "--results", str(output), "--json"), env=child_env(),
                          capture_output=True, text=True)
    findings = json.loads(done.stdout or "[]")
    return [f for f in findings if f["problem"] != "leftover"], [f for f in findings if f["problem"] == "leftover"]


def same_as(output: Path, reference: Path, run_ids: list[str]) -> tuple[int, int]:
    """How many runs have (metrics, predictions) equal to the reference folder's."""
    ours, theirs = read_records(output), read_records(reference)
    metrics = predictions = 0
    for run_id in run_ids:
        if run_id not in ours or run_id not in theirs:
            continue
        a, b = ours[run_id], theirs[run_id]
        metrics += a["headline"] == b["headline"] and a["metrics"] == b["metrics"]
        task = a["task"]["name"]
        predictions += (output / task / f"{run_id}.predictions.jsonl.gz").read_bytes() == \
                       (reference / task / f"{run_id}.predictions.jsonl.gz").read_bytes()
    return metrics, predictions


def group_processes(group: int) -> dict[int, str]:
    """Live (not zombie) processes of a process group: pid -> command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp ...
        if int(fields[2]) == group and fields[0] != "Z":
            found[int(entry.name)] = cmdline
    return found


def run_children(group: int) -> list[int]:
    """The sweep's spawned run processes in the group."""
    return [pid for pid, cmdline in group_processes(group).items() if "spawn_main" in cmdline]


def holds_a_lock(output: Path, pids: list[int]) -> bool:
    """Whether one of `pids` has taken a run's lock (it is past start-up: training or writing)."""
    names = tuple(f"pid {pid} " for pid in pids)
    for lock in output.glob("*/.locks/*.lock"):
        try:
            if lock.read_text().startswith(names):
                return True
        except OSError:
            continue
    return False


def start_sweep(args: list[str], log: Path) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen(harness_command(*args), env=child_env(), stdout=handle, stderr=subprocess.STDOUT,
                            start_new_session=True)


def kill_and_resume(args: list[str], output: Path, logs: Path, kills: int, window: tuple[float, float],
                    rng: random.Random) -> dict:
    """The sweep, killed `kills` times then left to finish; what happened at each kill."""
    stats = {"kills": 0, "inside_run": 0, "starting_run": 0, "leader_only": 0, "orphans": 0, "outlived": 0.0,
             "attempts": 0}
    for attempt in range(1, kills + 2):
        stats["attempts"] = attempt
        before = len(record_files(output))
        sweep = start_sweep(args, logs / f"attempt-{attempt}.log")
        if attempt > kills:
            code = sweep.wait()
            print(f"attempt {attempt}: ran to the end (exit {code}), records {before} -> {len(record_files(output))}")
            stats["final_exit"] = code
            break
        delay = rng.uniform(*window)
        try:
            sweep.wait(timeout=delay)
            print(f"attempt {attempt}: finished before its kill at {delay:.1f} s (exit {sweep.returncode})")
            stats["final_exit"] = sweep.returncode
            break
        except subprocess.TimeoutExpired:
            pass
        children = run_children(sweep.pid)
        running = bool(children) and holds_a_lock(output, children)
        stats["inside_run"] += running
        stats["starting_run"] += bool(children) and not running
        leader_only = attempt % 2 == 0
        if leader_only:
            os.kill(sweep.pid, signal.SIGKILL)
            sweep.wait()
            died_at = time.monotonic()
            while any(pid in group_processes(sweep.pid) for pid in children) and \
                    time.monotonic() - died_at < GRACE_SECONDS:
                time.sleep(0.1)
            left = [pid for pid in children if pid in group_processes(sweep.pid)]
            stats["leader_only"] += 1
            stats["orphans"] += len(left)
            if children:
                stats["outlived"] = max(stats["outlived"], time.monotonic() - died_at)
        try:
            os.killpg(sweep.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # the whole group is gone already
        sweep.wait()
        stats["kills"] += 1
        where = "inside a run" if running else "as a run process started" if children else \
            "between runs or in start-up"
        how = "sweep process alone, then its group" if leader_only else "whole group"
        print(f"attempt {attempt}: SIGKILL at {delay:.1f} s ({how}), {where}; "
              f"records {before} -> {len(record_files(output))}", flush=True)
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12, help="At least this many runs in the grid.")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--results", type=Path, help="Folder for both sweeps (default: a new temporary folder).")
    parser.add_argument("--seed", type=int, default=0, help="Seeds the kill moments.")
    parser.add_argument("--window", default="2,45", help="Kill moments: uniform over LOW,HIGH seconds after start.")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    options = parser.parse_args()
    window = tuple(float(x) for x in options.window.split(","))
    output = options.output or Path(tempfile.mkdtemp(prefix="fault-injection-"))
    interrupted, uninterrupted, logs = output / "interrupted", output / "uninterrupted", output / "logs"
    if record_files(interrupted) or record_files(uninterrupted):
        sys.exit(f"{output} already holds records; pass an empty --output folder")
    logs.mkdir(parents=True, exist_ok=True)

    seeds = str(math.ceil(options.runs / len(METHODS.split(","))))
    args = sweep_args(options.model, METHODS, seeds, interrupted, options.data_dir)
    ids = planned_ids(args)
    print(f"grid: {options.model} x {METHODS} x {TASK} x {seeds} seeds = {len(ids)} runs; output {output}")

    started = time.monotonic()
    stats = kill_and_resume(args, interrupted, logs, options.kills, window, random.Random(options.seed))
    interrupted_seconds = time.monotonic() - started
    summary = SUMMARY.search((logs / f"attempt-{stats['attempts']}.log").read_text())
    started = time.monotonic()
    reference = subprocess.run(harness_command(*sweep_args(options.model, METHODS, seeds, uninterrupted,
                                                           options.data_dir)),
                               env=child_env(), capture_output=True, text=True)
    (logs / "uninterrupted.log").write_text(reference.stdout + reference.stderr)
    uninterrupted_seconds = time.monotonic() - started

    files = record_files(interrupted)
    records = read_records(interrupted)
    problems, leftovers = results_check(interrupted)
    equal_metrics, equal_predictions = same_as(interrupted, uninterrupted, ids)
    checks = {
        "runs planned >= --runs": len(ids) >= options.runs,
        f"kills >= {options.kills}": stats["kills"] >= options.kills,
        "final sweep exit 0": stats.get("final_exit") == 0,
        "uninterrupted sweep exit 0": reference.returncode == 0,
        "records == runs planned": len(files) == len(ids),
        "distinct run ids == runs planned": set(records) == set(ids),
        "duplicates == 0": len(files) == len(records),
        "corrupt or incomplete files == 0": not problems,
        "orphans == 0": stats["orphans"] == 0,
        "metrics equal to uninterrupted": equal_metrics == len(ids),
        "predictions equal to uninterrupted": equal_predictions == len(ids),
    }
    print()
    print(f"runs planned                  {len(ids)}")
    between = stats["kills"] - stats["inside_run"] - stats["starting_run"]
    print(f"kills (SIGKILL)               {stats['kills']} ({stats['inside_run']} inside a run, "
          f"{stats['starting_run']} as a run process started, {between} between runs or in start-up; "
          f"{stats['leader_only']} on the sweep process alone)")
    print(f"sweep attempts                {stats['attempts']} (the last one: "
          f"{summary.group(0) if summary else 'no summary line'})")
    print(f"records in the folder         {len(files)}")
    print(f"distinct run ids              {len(records)} (all planned: {'yes' if set(records) == set(ids) else 'no'})")
    print(f"duplicates                    {len(files) - len(records)}")
    print(f"corrupt/incomplete files      {len(problems)}" + "".join(f"\n    {p['path']}: {p['problem']}"
                                                                        for p in problems))
    print(f".tmp leftovers (fine)         {len(leftovers)}")
    print(f"orphaned run processes        {stats['orphans']} (run children outlived their killed sweep by at "
          f"most {stats['outlived']:.1f} s)")
    resumed = sum(1 for r in records.values() if (r.get("training") or {}).get("resumed_from_update"))
    print(f"resumed from a checkpoint     {resumed} run(s)")
    print(f"metrics equal (uninterrupted) {equal_metrics} of {len(ids)} (headline and every metric, exact)")
    print(f"predictions equal             {equal_predictions} of {len(ids)} (byte for byte)")
    print(f"wall time                     interrupted {interrupted_seconds:.0f} s, "
          f"uninterrupted {uninterrupted_seconds:.0f} s")
    failed = [name for name, ok in checks.items() if not ok]
    print("\nall checks passed" if not failed else f"\nFAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
