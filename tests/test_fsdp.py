"""Sharded weights (FSDP2 through accelerate launch), at tiny scale on CPU over gloo.

Two processes each hold half of every parameter. Evaluation runs in lockstep: the dev split
(12 examples) is one batch, so the second process only repeats it and drops its outputs; a
process that skipped that forward would leave the other waiting for its all-gather (the
timeout turns such a hang into a failure). The record, written once, must hold exactly the
predictions one process gets from the saved model.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from prediction_rows import rows_text
from torch import nn

import harness.train.launch as launch
from harness.cli.main import main
from harness.encode import Features
from harness.errors import HarnessError
from harness.predict import _predict_share

pytestmark = pytest.mark.usefixtures("one_launch_at_a_time")  # launches take turns under xdist

VENV_BIN = Path(sys.executable).parent
ACCELERATE = VENV_BIN / "accelerate"
HANG_SECONDS = 240

CONFIG_FILE = """\
compute_environment: LOCAL_MACHINE
distributed_type: FSDP
fsdp_config:
  fsdp_version: 2
  fsdp_reshard_after_forward: true
mixed_precision: 'no'
num_machines: 1
num_processes: 2
use_cpu: false
"""


def _fsdp2_unavailable() -> str | None:
    if not ACCELERATE.exists():
        return "the accelerate command is not installed next to this Python"
    if not (torch.distributed.is_available() and torch.distributed.is_gloo_available()):
        return "torch.distributed with gloo is not available"
    try:
        from torch.distributed.fsdp import fully_shard  # noqa: F401
    except ImportError:
        return "this torch has no FSDP2 (torch.distributed.fsdp.fully_shard)"
    return None


def _launch(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a launcher in its own process group; a hang kills the whole group and fails the test."""
    child_env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1",
                 "MASTER_PORT": str(29900 + os.getpid() % 500)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env,
                               cwd=cwd, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"the FSDP run did not finish in {HANG_SECONDS}s: processes out of step (a hang)")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


@pytest.mark.parametrize("method,launch_with", [("full", "flags"), ("lora", "config file")])
def test_fsdp2_records_once_and_evaluates_like_one_process(env, encoder_dir, method, launch_with):
    reason = _fsdp2_unavailable()
    if reason:
        pytest.skip(reason)
    results = env / "results"
    if launch_with == "flags":
        launcher = [str(ACCELERATE), "launch", "--use_fsdp", "--fsdp_version", "2", "--num_processes", "2"]
    else:
        (env / "fsdp2.yaml").write_text(CONFIG_FILE)
        launcher = [str(ACCELERATE), "launch", "--config_file", str(env / "fsdp2.yaml")]
    done = _launch([*launcher, "-m", "harness", "run", "--model", str(encoder_dir), "--task", "tiny-sentiment",
                    "--method", method, "--epochs", "2", "--batch-size", "4", "--save-model", "--quiet",
                    "--results", str(results)], cwd=env)
    assert done.returncode == 0, done.stderr[-3000:]
    records = list((results / "tiny-sentiment").glob("*.json"))
    assert len(records) == 1 and done.stdout.count("recorded:") == 1  # only the main process writes and reports
    record = json.loads(records[0].read_text())
    training = record["training"]
    assert (training["processes"], training["distributed"]) == (2, "fsdp2")
    assert training["sharding"]["fsdp_version"] == 2 and training["sharding"]["reshard_after_forward"] is True
    rows = [json.loads(r) for r in
            rows_text(results / "tiny-sentiment" / f"{record['run_id']}.predictions.jsonl.gz").splitlines()]
    dev = [row for row in rows if row["split"] == "dev"]
    assert len(dev) == len({row["id"] for row in dev}) == 12  # every dev example exactly once
    holdout = [row for row in rows if row["split"] == "holdout"]  # the selection outputs, kept once too
    assert len(holdout) == len({row["id"] for row in holdout}) == record["data"]["selection_size"]
    # One process rebuilds the saved model (whole tensors, gathered from the shards) and diffs every prediction.
    assert main(["verify", record["run_id"], "--eval-only", "--results", str(results)]) == 0


def test_fsdp2_on_real_data_with_uneven_evaluation_batches(tmp_path, encoder_dir, data_dir):
    """150 SST-2 dev examples in batches of 64: process 0 predicts two batches, process 1 one and a repeat."""
    reason = _fsdp2_unavailable()
    if reason:
        pytest.skip(reason)
    results = tmp_path / "results"
    done = _launch([str(ACCELERATE), "launch", "--use_fsdp", "--fsdp_version", "2", "--num_processes", "2",
                    "-m", "harness", "run", "--model", str(encoder_dir), "--task", "sst2", "--method", "lora",
                    "--data-dir", str(data_dir), "--train-limit", "16", "--eval-limit", "150", "--epochs", "1",
                    "--save-model", "--quiet", "--results", str(results)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    (record_path,) = (results / "sst2").glob("*.json")
    record = json.loads(record_path.read_text())
    assert record["training"]["distributed"] == "fsdp2"  # evaluation batches of 64: 150 examples make 3
    rows = [json.loads(row) for row in rows_text(results / "sst2" / f"{record['run_id']}.predictions.jsonl.gz")
            .splitlines() if '"split": "validation"' in row]
    assert len(rows) == len({row["id"] for row in rows}) == 150
    assert main(["verify", record["run_id"], "--eval-only", "--results", str(results), "--data-dir",
                 str(data_dir)]) == 0


class _CountingModel(nn.Module):
    """Logits from the token ids; counts forwards, as an FSDP all-gather would."""

    def __init__(self):
        super().__init__()
        self.forwards = 0

    def forward(self, input_ids, attention_mask, **_):
        self.forwards += 1
        total = (input_ids * attention_mask).sum(dim=1, keepdim=True).float()
        return type("Output", (), {"logits": torch.cat([total, -total], dim=1)})()


@dataclass
class _Share:
    forwards: int
    values: list


def _share(features, index: int, shares: int, lockstep: bool) -> _Share:
    model = _CountingModel()
    predictions = _predict_share(model, features, "text_classification", 0, 2, "cpu", 0, index, shares,
                                 lockstep=lockstep)
    return _Share(model.forwards, predictions.values)


def test_sharded_evaluation_runs_the_same_forwards_on_every_process_and_predicts_each_example_once():
    features = [Features(input_ids=list(range(1, 2 + i % 4)), label=0) for i in range(7)]  # 4 batches of 2
    alone = _share(features, 0, 1, lockstep=False).values
    for shares in (3, 5):  # 4 batches over 3 processes (2, 1, 1), and over 5 (one process has none)
        unsharded = [_share(features, i, shares, lockstep=False) for i in range(shares)]
        assert len({s.forwards for s in unsharded}) > 1  # data parallelism: uneven, which FSDP cannot afford
        parts = [_share(features, i, shares, lockstep=True) for i in range(shares)]
        assert {s.forwards for s in parts} == {2 if shares == 3 else 1}
        merged = [next(v for v in column if v is not None) for column in zip(*(s.values for s in parts))]
        assert merged == alone
        assert all(sum(v is not None for v in column) == 1 for column in zip(*(s.values for s in parts)))


@pytest.fixture()
def fsdp_env(monkeypatch):
    for name in ("ACCELERATE_USE_DEEPSPEED", "WORLD_SIZE", "LOCAL_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    monkeypatch.setenv("FSDP_VERSION", "2")
    return monkeypatch


def test_fsdp1_is_refused_naming_fsdp2(fsdp_env):
    fsdp_env.setenv("FSDP_VERSION", "1")
    with pytest.raises(HarnessError, match="FSDP version 1 is not supported; launch with --fsdp_version 2"):
        launch.check_launch("cpu", "lora")


def test_deepspeed_is_refused_in_one_line(fsdp_env):
    fsdp_env.setenv("ACCELERATE_USE_DEEPSPEED", "true")
    with pytest.raises(HarnessError, match="DeepSpeed launches are not supported.*--use_fsdp --fsdp_version 2"):
        launch.check_launch("cpu", "lora")


def test_adalora_is_refused_under_fsdp_naming_the_methods_that_work(fsdp_env):
    with pytest.raises(HarnessError, match=r"method adalora cannot train under FSDP .*use one of: .*full, .*lora,"):
        launch.check_launch("cpu", "adalora")
    launch.check_launch("cpu", "lora")  # accepted
    fsdp_env.setenv("ACCELERATE_USE_FSDP", "false")
    launch.check_launch("cpu", "adalora")  # data parallelism runs it


def test_variants_are_refused_under_fsdp(fsdp_env):
    with pytest.raises(HarnessError, match="--variant int8-dynamic is not supported under FSDP"):
        launch.check_launch("cpu", "full", "int8-dynamic")
