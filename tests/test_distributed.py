"""Several processes through the launchers users already run (torchrun, accelerate launch), at tiny scale on CPU.

Two gloo processes train with DDP; evaluation is split between them and gathered, so the
record (written once, by the main process) holds exactly the predictions one process gets
from the same saved weights.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import harness.train.launch as launch
from harness.cli.main import main
from harness.errors import HarnessError
from harness.record.store import ResultStore

pytestmark = pytest.mark.usefixtures("one_launch_at_a_time")  # launches take turns under xdist

VENV_BIN = Path(sys.executable).parent
LAUNCHERS = {
    "torchrun": [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"],
    "accelerate": [str(VENV_BIN / "accelerate"), "launch", "--multi_gpu", "--num_processes", "2"],
}


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_two_processes_record_once_and_evaluate_like_one(env, encoder_dir, launcher):
    if launcher == "accelerate" and not (VENV_BIN / "accelerate").exists() and not shutil.which("accelerate"):
        pytest.skip("the accelerate command is not installed next to this Python")
    results = env / "results"
    command = [*LAUNCHERS[launcher], "-m", "harness", "run", "--model", str(encoder_dir), "--task", "tiny-sentiment",
               "--epochs", "2", "--batch-size", "4", "--save-model", "--quiet", "--results", str(results)]
    child_env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "MASTER_PORT": str(29400 + os.getpid() % 500)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=child_env, cwd=env)
    assert done.returncode == 0, done.stderr[-2000:]
    records = list((results / "tiny-sentiment").glob("*.json"))
    assert len(records) == 1 and done.stdout.count("recorded:") == 1  # only the main process writes and reports
    record = json.loads(records[0].read_text())
    assert record["training"]["processes"] == 2
    predictions = ResultStore(results).load_predictions("tiny-sentiment", record["run_id"])
    assert sorted(row["id"] for row in predictions) == sorted({r["id"] for r in predictions})
    assert main(["verify", record["run_id"], "--eval-only", "--results", str(results)]) == 0  # one process, same numbers


def test_accelerate_cpu_without_mpirun_is_refused_with_the_ways_that_work(monkeypatch):
    monkeypatch.setenv("ACCELERATE_USE_CPU", "True")
    for name in ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(launch, "_accelerate_processes_asked", lambda: 2)
    with pytest.raises(HarnessError, match="started a single process.*--mpirun_hostfile.*torchrun --nproc_per_node 2"):
        launch.check_launch("cpu")


def test_more_processes_than_gpus_is_refused(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    monkeypatch.setattr(launch.torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(launch.torch.cuda, "device_count", lambda: 2)
    with pytest.raises(HarnessError, match="4 processes were launched on this machine but only 2 GPU"):
        launch.check_launch(None)


def test_the_rank_comes_from_torchrun_or_mpi_variables(monkeypatch):
    for name in ("RANK", "PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert launch.is_main_process()
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "1")
    assert launch.process_rank() == 1 and not launch.is_main_process()


@pytest.mark.parametrize("remedy", [["--adversarial", "pgd", "--adv-steps", "2"], ["--adversarial", "freelb"],
                                    ["--augment", "typos", "--adversarial", "fgm"]], ids=["pgd", "freelb", "augment-fgm"])
def test_remedies_train_under_ddp(env, encoder_dir, remedy):
    """Two gloo processes: PGD's unsynchronised ascent steps, FreeLB's several backward passes and augmentation
    drawn the same on both processes; the run records once."""
    results = env / "results"
    command = [*LAUNCHERS["torchrun"], "-m", "harness", "run", "--model", str(encoder_dir), "--task", "tiny-sentiment",
               "--epochs", "2", "--batch-size", "4", "--quiet", "--results", str(results), *remedy]
    child_env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "MASTER_PORT": str(29900 + os.getpid() % 90)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=child_env, cwd=env)
    assert done.returncode == 0, done.stderr[-2000:]
    (path,) = (results / "tiny-sentiment").glob("*.json")
    record = json.loads(path.read_text())
    assert record["training"]["processes"] == 2 and record["spec"]["remedy"]
