"""Peak CPU memory of a block: the kernel's high-water mark, or a sampling thread where there is none.

Each check runs in a fresh interpreter: in a long test session the allocator reuses memory
earlier tests freed, so a new allocation need not raise the process's RSS at all.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness.train import memory

_PROBE = """
import json, sys, time, torch
from harness.train import memory
from harness.train.memory import PeakMemory
if sys.argv[1] == "sampled":
    memory.reset_peak_rss = lambda: False
def spike(megabytes, hold_s):
    block = torch.ones(megabytes * 2**20 // 4)  # written, so its pages are really resident
    time.sleep(hold_s)
    del block
spike(300, 0.0)  # before the block: must not count
with PeakMemory(torch.device("cpu")) as quiet:
    pass
with PeakMemory(torch.device("cpu"), interval_s=0.01) as busy:
    spike(200, 0.2)  # the sampler needs time to see it
print(json.dumps({"quiet": quiet.peak_mb - quiet.baseline_mb, "busy": busy.peak_mb - busy.baseline_mb}))
"""


def _probe(mode: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", ["high-water-mark", "sampled"])
def test_a_freed_allocation_counts_in_its_own_block_only(mode):
    if mode == "high-water-mark" and not memory.reset_peak_rss():
        pytest.skip("this kernel offers no resettable RSS high-water mark")
    figures = _probe(mode)
    assert figures["busy"] > 150  # 200 MB allocated and freed inside the block
    if mode == "high-water-mark":
        assert figures["quiet"] < 100  # the earlier 300 MB belongs to no block
