"""Peak memory of a block of work: max allocated on CUDA, process RSS on CPU."""

from __future__ import annotations

import threading

import psutil
import torch


class PeakMemory:
    """Context manager; `.peak_mb` after exit. CPU RSS is sampled by a background thread."""

    def __init__(self, device: torch.device, interval_s: float = 0.1):
        self.device = torch.device(device)
        self.interval_s = interval_s
        self.peak_mb = float("nan")
        self.baseline_mb = float("nan")  # before the block: weights, data and libraries already loaded
        self.kind = "cuda_max_allocated" if self.device.type == "cuda" else "cpu_rss"
        self._stop = threading.Event()
        self._peak_bytes = 0

    def __enter__(self) -> "PeakMemory":
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            self.baseline_mb = torch.cuda.memory_allocated(self.device) / 2**20
        else:
            self._process = psutil.Process()
            self._peak_bytes = self._process.memory_info().rss
            self.baseline_mb = self._peak_bytes / 2**20
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._peak_bytes = max(self._peak_bytes, self._process.memory_info().rss)

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            self.peak_mb = torch.cuda.max_memory_allocated(self.device) / 2**20
        else:
            self._stop.set()
            self._thread.join()
            self._peak_bytes = max(self._peak_bytes, self._process.memory_info().rss)
            self.peak_mb = self._peak_bytes / 2**20
