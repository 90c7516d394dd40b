"""Records say whether a rerun can repeat them bit for bit (CPU: yes; CUDA: only when forced deterministic)."""

from __future__ import annotations

import torch

from harness.record.environment import reproducibility


def test_cpu_runs_are_marked_bit_reproducible():
    assert reproducibility(torch.device("cpu"))["bitwise"] is True


def test_cuda_runs_are_marked_not_bitwise_unless_deterministic_algorithms_are_enforced(monkeypatch):
    cuda = torch.device("cuda")
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    default = reproducibility(cuda)
    assert default["bitwise"] is False and "not deterministic" in default["why"]

    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", True)
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        assert reproducibility(cuda)["bitwise"] is True
    finally:
        torch.use_deterministic_algorithms(before)
