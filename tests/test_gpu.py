"""CUDA paths: skipped cleanly where no GPU is visible (CI never has one)."""

from __future__ import annotations

import json

import pytest
import torch

from harness.cli.main import main
from user_tasks import write_user_tasks

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def test_run_on_cuda_uses_bf16_where_supported(tmp_path, monkeypatch, encoder_dir):
    monkeypatch.setenv("HARNESS_TASKS_PATH", str(write_user_tasks(tmp_path / "tasks")))
    code = main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--device", "cuda", "--epochs", "1",
                 "--results", str(tmp_path / "results"), "--quiet"])
    assert code == 0
    (path,) = (tmp_path / "results" / "tiny-sentiment").glob("*.json")
    record = json.loads(path.read_text())
    assert record["environment"]["device"]["type"] == "cuda"
    assert record["training"]["memory_kind"] == "cuda_max_allocated"
    expected = "bf16" if torch.cuda.is_bf16_supported() else "no"
    assert record["training"]["mixed_precision"] == expected



@pytest.mark.parametrize("method", ["lora", "dora", "adalora", "ia3", "prefix", "prompt", "ptuning", "adapter",
                                    "bitfit"])
def test_every_method_trains_on_cuda(tmp_path, monkeypatch, encoder_dir, method):
    monkeypatch.setenv("HARNESS_TASKS_PATH", str(write_user_tasks(tmp_path / "tasks")))
    code = main(["run", "--model", str(encoder_dir), "--task", "tiny-ner", "--method", method, "--device", "cuda",
                 "--epochs", "1", "--results", str(tmp_path / "results"), "--quiet"])
    assert code == 0
    (path,) = (tmp_path / "results" / "tiny-ner").glob("*.json")
    costs = json.loads(path.read_text())["costs"]
    assert costs["memory_kind"] == "cuda_max_allocated" and costs["peak_train_memory_mb"] > 0
    assert 0 < costs["trainable_share"] < 1
