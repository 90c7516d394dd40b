"""Sweeps under faults, at tiny scale: SIGKILL then resume, two sweeps into one folder, runs held elsewhere.

benchmarks/fault_injection.py and benchmarks/concurrent_sweeps.py do the same at full scale.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.record.lock import SpecLock
from harness.sweep import Grid, MethodEntry, plan_grid, run_grid
from sweep_helpers import REPO, SUMMARY, TASK, assert_sound, hold_lock, predictions, records, release



def _sweep_args(encoder_dir: Path, output: Path, methods: str, *extra: str) -> list[str]:
    return ["sweep", "--model", str(encoder_dir), "--methods", methods, "--task", TASK, "--epochs", "1", "--quiet",
            "--results", str(output), *extra]


def _start(args: list[str]) -> subprocess.Popen:
    """`harness sweep` in its own process group, with the test's environment (its tasks folder)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "harness.cli.main", *args], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_sigkilled_sweep_resumes_to_the_same_records_as_an_uninterrupted_one(env, encoder_dir, capsys):
    killed, reference = env / "killed", env / "reference"
    sweep = _start(_sweep_args(encoder_dir, killed, "full,lora", "--seeds", "2"))  # each run in a spawned child
    try:
        deadline = time.monotonic() + 150
        while not list((killed / TASK).glob("*.json")):
            assert sweep.poll() is None, sweep.communicate()
            assert time.monotonic() < deadline, "no record appeared"
            time.sleep(0.2)
    finally:
        os.killpg(sweep.pid, signal.SIGKILL)
        sweep.communicate()
    recorded_before = set(records(killed))
    assert 1 <= len(recorded_before) < 4
    assert all(SpecLock(killed, TASK, run_id).holder() is None
               for run_id in (p.stem for p in (killed / TASK / ".locks").glob("*.lock")))  # the kernel let go

    capsys.readouterr()
    assert main(_sweep_args(encoder_dir, killed, "full,lora", "--seeds", "2", "--in-process")) == 0
    ran, skipped, failed = map(int, SUMMARY.search(capsys.readouterr().out).groups())
    assert (ran, skipped, failed) == (4 - len(recorded_before), len(recorded_before), 0)
    assert main(_sweep_args(encoder_dir, reference, "full,lora", "--seeds", "2", "--in-process")) == 0

    resumed, uninterrupted = records(killed), records(reference)
    assert len(resumed) == 4 and set(resumed) == set(uninterrupted)
    assert_sound(killed)
    for run_id, record in resumed.items():
        assert record["headline"] == uninterrupted[run_id]["headline"]
        assert record["metrics"] == uninterrupted[run_id]["metrics"]
        assert predictions(killed, run_id) == predictions(reference, run_id)


def test_two_concurrent_sweeps_over_overlapping_grids_record_each_run_once(env, encoder_dir):
    shared = env / "shared"
    # lora first in both, so the two sweeps reach the shared runs at the same moment
    sweeps = [_start(_sweep_args(encoder_dir, shared, methods, "--in-process")) for methods in ("lora,full",
                                                                                             "lora,bitfit")]
    outputs = [sweep.communicate(timeout=180) for sweep in sweeps]
    assert [sweep.returncode for sweep in sweeps] == [0, 0], outputs
    counts = [tuple(map(int, SUMMARY.search(out).groups())) for out, _ in outputs]
    assert sum(ran for ran, _, _ in counts) == 3  # full, lora, bitfit: nothing ran twice
    assert sum(skipped for _, skipped, _ in counts) == 1  # lora, planned by both
    recorded = records(shared)
    assert sorted(record["spec"]["method"] for record in recorded.values()) == ["bitfit", "full", "lora"]
    assert_sound(shared)


@pytest.mark.parametrize("holder_records_it", [True, False])
def test_a_run_held_by_another_process_is_put_off_then_waited_for(env, encoder_dir, holder_records_it):
    planned = plan_grid(Grid(models=[str(encoder_dir)], methods=[MethodEntry("full"), MethodEntry("lora")],
                             tasks=[TASK], seeds=[0], training={"epochs": 1}))
    held = planned[0]
    held_id = held.spec.run_id(held.task.hash)
    output, elsewhere = env / "results", env / "elsewhere"
    if holder_records_it:
        run_grid([held], output=elsewhere, show_progress=False, isolate=False, announce=lambda line: None)
    lines: list[str] = []
    with hold_lock(output, held_id) as holder:
        def announce(line: str) -> None:
            lines.append(line)
            if "waiting for" in line:  # the other process finishes: records the run, or dies without
                if holder_records_it:
                    (output / TASK).mkdir(parents=True, exist_ok=True)
                    for suffix in (".predictions.jsonl.gz", ".json"):
                        (output / TASK / f"{held_id}{suffix}").write_bytes(
                            (elsewhere / TASK / f"{held_id}{suffix}").read_bytes())
                release(holder)

        result = run_grid(planned, output=output, show_progress=False, isolate=False, announce=announce)
    assert f"is being run by pid {holder.pid} on " in lines[0] and lines[0].endswith("; coming back to it")
    assert "lora" in lines[1] and "waiting for pid" in lines[2]
    assert result.deferred == 1 and not result.failed
    assert (result.ran, result.skipped) == ((1, 1) if holder_records_it else (2, 0))
    assert set(records(output)) == {run.spec.run_id(run.task.hash) for run in planned}
