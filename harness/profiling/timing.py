"""Latency of a call: warm-up runs, then timed runs summarised by percentiles, not means.

The clock is injectable so the statistics can be checked against a fake one. Timed runs go
on past `repeats` until `min_seconds` have passed: on a shared machine slow spells last about
a second, and a median over a longer window is not moved by one of them. On CUDA the
device is synchronised after every timed call: kernels run asynchronously, and without it
a timer measures how fast they are queued. A batch size that runs out of memory is halved
until one fits, and the result says which one did. Timings of the same batch taken at
different moments (a profile's rounds) pool their samples: `pool_rounds`, which also says how
much the pooled median depends on any one round (`without_one_round`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import torch

Clock = Callable[[], float]
MAX_SAMPLES = 100_000  # ends a min_seconds window of calls too fast to fill it


@dataclass(frozen=True)
class LatencyStats:
    """Milliseconds per call over `repeats` timed calls."""

    median_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float
    repeats: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile, linearly interpolated between the closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(seconds: Sequence[float]) -> LatencyStats:
    ms = [s * 1000 for s in seconds]
    return LatencyStats(median_ms=percentile(ms, 50), p90_ms=percentile(ms, 90), p99_ms=percentile(ms, 99),
                        mean_ms=sum(ms) / len(ms), min_ms=min(ms), max_ms=max(ms), repeats=len(ms))


def synchronizer(device: torch.device | str) -> Callable[[], None] | None:
    device = torch.device(device)
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return None


def time_call(call: Callable[[], object], *, warmup: int, repeats: int, clock: Clock = time.perf_counter,
              synchronize: Callable[[], None] | None = None, min_seconds: float = 0.0) -> list[float]:
    """Seconds taken by each of at least `repeats` calls (more until they add up to `min_seconds`),
    after `warmup` untimed ones."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    for _ in range(warmup):
        call()
    if synchronize is not None:
        synchronize()
    samples: list[float] = []
    elapsed = 0.0
    while len(samples) < repeats or (elapsed < min_seconds and len(samples) < MAX_SAMPLES):
        start = clock()
        call()
        if synchronize is not None:
            synchronize()
        samples.append(clock() - start)
        elapsed += samples[-1]
    return samples


def is_out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


@dataclass(frozen=True)
class BatchTiming:
    requested: int  # the batch size asked for
    used: int | None  # the one measured: smaller when the requested one ran out of memory; None if none fit
    stats: LatencyStats | None
    note: str | None = None
    samples: tuple[float, ...] = field(default=(), repr=False)  # seconds per timed call, summarised by `stats`
    round_medians_ms: tuple[float, ...] = ()  # one per round that measured this batch, when pooled over rounds
    median_moves_without_a_round: float | None = None  # see `without_one_round`

    def to_dict(self) -> dict[str, object]:
        figures: dict[str, object] = {"requested": self.requested, "used": self.used,
                                      "latency": None if self.stats is None else self.stats.to_dict(),
                                      "note": self.note}
        if self.round_medians_ms:
            figures["round_medians_ms"] = [round(value, 3) for value in self.round_medians_ms]
        if self.median_moves_without_a_round is not None:
            figures["median_moves_without_a_round"] = round(self.median_moves_without_a_round, 4)
        return figures


def round_spread(round_medians_ms: Sequence[float]) -> float | None:
    """How far the rounds' medians of one batch (or any readings) lie apart, relative to the fastest:
    (max - min) / min."""
    if len(round_medians_ms) < 2 or min(round_medians_ms) <= 0:
        return None
    return (max(round_medians_ms) - min(round_medians_ms)) / min(round_medians_ms)


def time_batch_sizes(make_call: Callable[[int], Callable[[], object]], batch_sizes: Sequence[int], *,
                     warmup: int, repeats: int, min_seconds: float = 0.0, clock: Clock = time.perf_counter,
                     synchronize: Callable[[], None] | None = None,
                     after_out_of_memory: Callable[[], None] | None = None) -> list[BatchTiming]:
    """Time `make_call(size)()` for each batch size, smallest first.

    A size that runs out of memory is halved until one fits (or reaches 0); larger requested
    sizes then start below the size that failed. Errors other than running out of memory
    propagate.
    """
    measured: dict[int, list[float]] = {}
    failed_at = math.inf  # the smallest size known not to fit
    results = []
    for requested in sorted(set(batch_sizes)):
        size = requested
        while size >= 1 and size not in measured:
            if size >= failed_at:
                size //= 2
                continue
            try:
                measured[size] = time_call(make_call(size), warmup=warmup, repeats=repeats, min_seconds=min_seconds,
                                           clock=clock, synchronize=synchronize)
            except Exception as exc:  # noqa: BLE001 - only out-of-memory is handled, the rest re-raised
                if not is_out_of_memory(exc):
                    raise
                if after_out_of_memory is not None:
                    after_out_of_memory()
                failed_at = size
                size //= 2
        if size >= 1:
            note = None if size == requested else \
                f"batch {requested} ran out of memory; halving, {size} was the largest that fit"
            results.append(BatchTiming(requested, size, summarize(measured[size]), note, tuple(measured[size])))
        else:
            results.append(BatchTiming(requested, None, None, "ran out of memory even at batch size 1"))
    return results


def without_one_round(rounds: Sequence[Sequence[float]]) -> float | None:
    """How far the median of all rounds' samples moves when one round is left out, at most, relative to it.

    One slow round barely moves a median pooled over five; a machine whose speed changed for
    longer moves it. None with fewer than 3 rounds.
    """
    rounds = [list(one_round) for one_round in rounds if one_round]
    if len(rounds) < 3:
        return None
    everything = percentile([sample for one_round in rounds for sample in one_round], 50)
    if everything <= 0:
        return None
    moved = 0.0
    for left_out in range(len(rounds)):
        rest = [sample for i, one_round in enumerate(rounds) if i != left_out for sample in one_round]
        moved = max(moved, abs(percentile(rest, 50) - everything) / everything)
    return moved


def pool_rounds(first: Sequence[BatchTiming], later: Sequence[Sequence[BatchTiming]]) -> list[BatchTiming]:
    """`first`'s timings with the samples of later rounds added where they measured the same batch
    (later rounds time the batch sizes that fit in the first, keyed by them)."""
    pooled = []
    for timing in first:
        rounds = [list(timing.samples)] if timing.samples else []
        for round_timings in later:
            for other in round_timings:
                if timing.used is not None and other.requested == timing.used and other.used == timing.used:
                    rounds.append(list(other.samples))
        samples = [sample for one_round in rounds for sample in one_round]
        stats = summarize(samples) if samples else timing.stats
        medians = tuple(percentile(one_round, 50) * 1000 for one_round in rounds if one_round)
        pooled.append(BatchTiming(timing.requested, timing.used, stats, timing.note, tuple(samples), medians,
                                  without_one_round(rounds)))
    return pooled
