"""The machine's speed probe: a fixed product timed on an injected clock, and its summary."""

from __future__ import annotations

import pytest
import torch

from harness.profiling.machine import SpeedProbe, probe_summary


class SteppingClock:
    """Each timed call lasts the next of `durations` seconds (two reads per call)."""

    def __init__(self, durations):
        self.durations, self.now, self.reads = list(durations), 0.0, 0

    def __call__(self) -> float:
        if self.reads % 2 == 1:
            self.now += self.durations[self.reads // 2]
        self.reads += 1
        return self.now


def test_probe_reads_the_median_of_its_timed_products_and_leaves_the_global_seed_alone():
    torch.manual_seed(7)
    expected_next = torch.rand(3)
    torch.manual_seed(7)
    probe = SpeedProbe("cpu", clock=SteppingClock([0.002, 0.001, 0.004, 0.003, 0.005] + [1.0] * 10), seconds=0)
    assert probe() == pytest.approx(3.0)  # five timed products (2 warm-up calls are not timed): median 3 ms
    assert torch.equal(torch.rand(3), expected_next)
    again = SpeedProbe("cpu")
    assert torch.equal(again.left, probe.left) and torch.equal(again.right, probe.right)  # the same work each time
    assert again() > 0


def test_probe_summary_gives_the_spread_between_fastest_and_slowest_reading():
    summary = probe_summary([1.5, 1.6, 1.8, 1.55])
    assert summary["readings"] == 4 and summary["median_ms"] == pytest.approx(1.575)
    assert (summary["min_ms"], summary["max_ms"]) == (1.5, 1.8) and summary["spread"] == pytest.approx(0.2)
    assert "matmul" in summary["what"]
    assert probe_summary([]) is None
