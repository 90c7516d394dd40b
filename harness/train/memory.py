"""Peak memory of a block of work: max allocated on CUDA, process RSS on CPU.

On Linux the kernel keeps the process's RSS high-water mark (VmHWM) and lets the process
reset it (writing 5 to /proc/self/clear_refs), so the CPU peak is exact and costs nothing
while the block runs. Elsewhere a background thread samples RSS; that thread competes with
the work for the CPU, which matters when the block is being timed.
"""

from __future__ import annotations

import threading
from pathlib import Path

import psutil
import torch

_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")


def reset_peak_rss() -> bool:
    """Start a new RSS high-water mark; False where the kernel does not offer it."""
    try:
        _CLEAR_REFS.write_text("5")
        return _peak_rss_bytes() is not None
    except OSError:
        return False


def _peak_rss_bytes() -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # reported in kB
    except (OSError, ValueError, IndexError):
        return None
    return None


class PeakMemory:
    """Context manager; `.peak_mb` after exit."""

    def __init__(self, device: torch.device, interval_s: float = 0.1):
        self.device = torch.device(device)
        self.interval_s = interval_s
        self.peak_mb = float("nan")
        self.baseline_mb = float("nan")  # before the block: weights, data and libraries already loaded
        self.kind = "cuda_max_allocated" if self.device.type == "cuda" else "cpu_rss"
        self._stop = threading.Event()
        self._peak_bytes = 0
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "PeakMemory":
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            self.baseline_mb = torch.cuda.memory_allocated(self.device) / 2**20
            return self
        self._process = psutil.Process()
        self._peak_bytes = self._process.memory_info().rss
        self.baseline_mb = self._peak_bytes / 2**20
        if not reset_peak_rss():
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._peak_bytes = max(self._peak_bytes, self._process.memory_info().rss)

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            self.peak_mb = torch.cuda.max_memory_allocated(self.device) / 2**20
            return
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
        else:
            self._peak_bytes = max(self._peak_bytes, _peak_rss_bytes() or 0)
        self._peak_bytes = max(self._peak_bytes, self._process.memory_info().rss)
        self.peak_mb = self._peak_bytes / 2**20
