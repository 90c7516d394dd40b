"""How fast the machine itself runs at a moment: one fixed fp32 matrix product, timed.

A shared machine (a cloud VM) changes speed for minutes at a time, by 10-20% on the one
this was built on, and every model timed during such a spell is slower by about as much.
Nothing about this product changes between profiles or variants, so timing it before each
variant in every round shows the machine's own speed beside the model's: when two profiles
disagree and the probe disagrees alike, the machine changed, not the model. The probe is
recorded beside the latencies; it never adjusts them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from harness.profiling.timing import Clock, percentile, round_spread, synchronizer, time_call

ROWS, INNER, COLUMNS = 256, 768, 768  # about the size of one BERT-base linear layer over a batch
SECONDS = 0.1  # per reading: short, so probing between variants adds little to a profile
WHAT = f"fp32 matmul {ROWS}x{INNER} @ {INNER}x{COLUMNS}, median ms over {SECONDS} s"


class SpeedProbe:
    """Median milliseconds of a fixed (ROWS x INNER) @ (INNER x COLUMNS) fp32 product on `device`."""

    def __init__(self, device: torch.device | str, clock: Clock = time.perf_counter, seconds: float = SECONDS):
        generator = torch.Generator().manual_seed(0)  # its own generator: the global seed stays untouched
        self.left = torch.rand(ROWS, INNER, generator=generator).to(device)
        self.right = torch.rand(INNER, COLUMNS, generator=generator).to(device)
        self.clock, self.seconds = clock, seconds
        self.synchronize: Callable[[], None] | None = synchronizer(device)

    def __call__(self) -> float:
        with torch.inference_mode():
            samples = time_call(lambda: torch.mm(self.left, self.right), warmup=2, repeats=5,
                                min_seconds=self.seconds, clock=self.clock, synchronize=self.synchronize)
        return percentile(samples, 50) * 1000


def probe_summary(readings: list[float]) -> dict[str, float | int | str] | None:
    """The probe's readings over a profile: median, fastest, slowest, and how far apart those lie."""
    if not readings:
        return None
    spread = round_spread(readings)  # None for a single reading
    return {"what": WHAT, "readings": len(readings), "median_ms": round(percentile(readings, 50), 4),
            "min_ms": round(min(readings), 4), "max_ms": round(max(readings), 4),
            "spread": None if spread is None else round(spread, 4)}
