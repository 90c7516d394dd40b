"""What a model costs in memory and on disk.

Memory: peak process RSS on CPU (the kernel's high-water mark, harness.train.memory.PeakMemory), max
allocated and max reserved on CUDA, each with the figure before the block so the model's
own share can be read off. Disk: bytes of `torch.save(model.state_dict())`, which stores
quantized weights in their packed form.
"""

from __future__ import annotations

import ctypes
import gc
import os
import tempfile

import torch
from torch import nn

from harness.train.memory import PeakMemory


def release_memory(device: torch.device | str) -> None:
    """Return what earlier models freed, so the next baseline is not inflated by it."""
    gc.collect()
    if torch.device(device).type == "cuda":
        torch.cuda.empty_cache()
    try:  # glibc keeps freed small blocks in its heap; malloc_trim hands them back to the OS
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def current_mb(device: torch.device | str) -> float:
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.memory_allocated(device) / 2**20
    import psutil

    return psutil.Process().memory_info().rss / 2**20


class MemoryProbe:
    """Context manager: `.figures()` after exit, in MiB.

    On CPU the peak is of the whole process (RSS); on CUDA of what PyTorch allocated and
    reserved on the device. Both are reported against `baseline_mb`, measured by the
    caller before the model was loaded.
    """

    def __init__(self, device: torch.device | str, baseline_mb: float, interval_s: float = 0.005):
        self.device = torch.device(device)
        self.baseline_mb = baseline_mb
        self.kind = "cuda_max_allocated" if self.device.type == "cuda" else "cpu_rss"
        self.peak_mb = float("nan")
        self.reserved_mb: float | None = None
        self._cpu = PeakMemory(self.device, interval_s=interval_s) if self.device.type != "cuda" else None

    def __enter__(self) -> "MemoryProbe":
        if self._cpu is not None:
            self._cpu.__enter__()
        else:
            torch.cuda.reset_peak_memory_stats(self.device)
        return self

    def __exit__(self, *exc) -> None:
        if self._cpu is not None:
            self._cpu.__exit__(*exc)
            self.peak_mb = self._cpu.peak_mb
        else:
            self.peak_mb = torch.cuda.max_memory_allocated(self.device) / 2**20
            self.reserved_mb = torch.cuda.max_memory_reserved(self.device) / 2**20

    def figures(self) -> dict[str, float | str | None]:
        return {"kind": self.kind, "baseline_mb": round(self.baseline_mb, 1), "peak_mb": round(self.peak_mb, 1),
                "model_and_activations_mb": round(self.peak_mb - self.baseline_mb, 1),
                "peak_reserved_mb": None if self.reserved_mb is None else round(self.reserved_mb, 1)}


def size_on_disk(model: nn.Module) -> int:
    """Bytes of the model's state_dict saved with torch.save (quantized tensors in their packed form)."""
    descriptor, path = tempfile.mkstemp(suffix=".pt")
    os.close(descriptor)
    try:
        with torch.inference_mode(False):  # tensor subclasses (torchao) cannot be detached in inference mode
            torch.save(model.state_dict(), path)
        return os.path.getsize(path)
    finally:
        os.unlink(path)
