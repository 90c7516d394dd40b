"""Peak CPU memory of a block: the kernel's high-water mark, or a sampling thread where there is none."""

from __future__ import annotations

import time

import pytest
import torch

from harness.train import memory
from harness.train.memory import PeakMemory


def _spike(megabytes: int, hold_s: float = 0.0) -> None:
    block = torch.ones(megabytes * 2**20 // 4)  # written, so its pages are really resident
    time.sleep(hold_s)
    del block


@pytest.mark.parametrize("high_water_mark", [True, False])
def test_a_freed_allocation_still_counts_as_the_peak(high_water_mark, monkeypatch):
    if not high_water_mark:
        monkeypatch.setattr(memory, "reset_peak_rss", lambda: False)
    elif not memory.reset_peak_rss():
        pytest.skip("this kernel offers no resettable RSS high-water mark")
    with PeakMemory(torch.device("cpu"), interval_s=0.01) as probe:
        _spike(200, hold_s=0.0 if high_water_mark else 0.2)  # the sampler needs time to see it
    assert probe.peak_mb - probe.baseline_mb > 150


def test_the_peak_starts_again_at_each_block():
    if not memory.reset_peak_rss():
        pytest.skip("this kernel offers no resettable RSS high-water mark")
    _spike(300)
    with PeakMemory(torch.device("cpu")) as probe:
        pass
    assert probe.peak_mb - probe.baseline_mb < 100  # the earlier 300 MB is not this block's
