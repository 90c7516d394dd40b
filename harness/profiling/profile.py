"""Profile variants of one model: load, convert, time, measure memory and size, score.

Each variant starts from a fresh load (seeded, so an untrained head is the same head every
time), so load time is real and no variant sees another's changes. Memory is read over
the timed batches against the process's figure before the load; size on disk and the
metric are measured after, outside that window.

The timing is spread over rounds: every round loads and times each variant in turn, and a
cell's statistics pool its samples over all rounds. On a shared machine the speed drifts
in spells of seconds; a cell timed in one window takes whatever spell it fell in, one
sampled across the whole profile does not (and every variant sees the same spells, so
their ratios hold too). Memory, size and metric come from the first round. A speed probe
(machine.py), when given, is read right before each variant's timing in every round, so the
record shows how fast the machine itself ran beside each round's latencies.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from harness.encode import Features
from harness.evaluation import evaluate_splits
from harness.predict import predict
from harness.profiling.inputs import TimingInputs
from harness.profiling.memory import MemoryProbe, current_mb, release_memory, size_on_disk
from harness.profiling.timing import BatchTiming, Clock, is_out_of_memory, pool_rounds, synchronizer, time_batch_sizes
from harness.tasks import Example, TaskDef, kinds
from harness.variants import Variant
from harness.variants.model_parts import linear_sparsity


@dataclass(frozen=True)
class ProfileSettings:
    batch_sizes: tuple[int, ...] = (1, 8, 32)
    warmup: int = 3  # untimed calls after each fresh load
    repeats: int = 20  # timed calls per batch size, at least, over all rounds
    min_seconds: float = 5.0  # per batch size over all rounds: timed calls go on until they add up to this
    rounds: int = 5  # times the sequence of variants is loaded and timed; samples pooled over them
    eval_batch_size: int = 32
    threads: int | None = None  # CPU threads for torch (None: leave as it is); latency depends on it
    seed: int = 0  # seeds each fresh load, so a freshly initialised head is identical across variants

    def to_dict(self) -> dict[str, Any]:
        return {"batch_sizes": list(self.batch_sizes), "warmup": self.warmup, "repeats": self.repeats,
                "min_seconds": self.min_seconds, "rounds": self.rounds,
                "eval_batch_size": self.eval_batch_size, "threads": self.threads or torch.get_num_threads(),
                "seed": self.seed}


@dataclass(frozen=True)
class Subject:
    """The model being profiled: how to load it afresh, and what its head knows."""

    name: str
    load: Callable[[], nn.Module]
    trained: bool  # False: a pretrained backbone with a random head, whose metric means nothing
    run_id: str | None = None
    method: str | None = None


@dataclass(frozen=True)
class Evaluation:
    task: TaskDef
    split: str
    examples: Sequence[Example]
    features: Sequence[Features]


@dataclass
class VariantProfile:
    variant: str
    description: str
    load_seconds: float
    convert_seconds: float
    size_bytes: int
    latency: list[BatchTiming]
    memory: dict[str, Any]
    values: list = field(repr=False)  # predictions on the evaluation split
    metric: float | None
    eval_seconds: float
    sparsity: float | None
    note: str | None
    probe_ms: list[float] = field(default_factory=list)  # the machine's speed probe, one reading per round

    def best_throughput(self, length: int) -> dict[str, float | int] | None:
        """Examples and tokens per second at the batch size that gives the most."""
        measured = [t for t in self.latency if t.stats is not None and t.stats.median_ms > 0]
        if not measured:
            return None
        best = max(measured, key=lambda t: t.used / t.stats.median_ms)
        per_second = best.used / (best.stats.median_ms / 1000)
        return {"batch_size": best.used, "examples_per_second": round(per_second, 2),
                "tokens_per_second": round(per_second * length, 1)}


@dataclass
class _Timed:
    """One fresh load of a variant, timed."""

    model: nn.Module | None  # None once it is no longer needed
    load_seconds: float
    convert_seconds: float
    latency: list[BatchTiming]
    memory: dict[str, Any]
    probe_ms: float | None = None


Probe = Callable[[], float]  # milliseconds of a fixed computation: how fast the machine runs right now


def _load_and_time(variant: Variant, subject: Subject, inputs: TimingInputs, device: torch.device,
                   settings: ProfileSettings, clock: Clock, batch_sizes: Sequence[int],
                   probe: Probe | None = None) -> _Timed:
    """Fresh load and conversion, then one round's share of the timed calls under a memory probe."""
    release_memory(device)
    baseline = current_mb(device)
    torch.manual_seed(settings.seed)
    started = time.perf_counter()
    model = subject.load()
    loaded = time.perf_counter()
    model = variant.apply(model, device)
    converted = time.perf_counter()
    release_memory(device)  # what the conversion freed (the fp32 copy) is not the variant's

    def make_call(size: int) -> Callable[[], object]:
        batch = inputs.batch(size, device)
        return lambda: model(**batch)

    probe_ms = probe() if probe is not None else None  # beside the timing: same spell of the machine
    with MemoryProbe(device, baseline) as memory, torch.inference_mode():
        latency = time_batch_sizes(make_call, batch_sizes, warmup=settings.warmup,
                                   repeats=math.ceil(settings.repeats / settings.rounds),
                                   min_seconds=settings.min_seconds / settings.rounds, clock=clock,
                                   synchronize=synchronizer(device), after_out_of_memory=lambda: release_memory(device))
    return _Timed(model, loaded - started, converted - loaded, latency, memory.figures(), probe_ms)


def profile_variant(variant: Variant, subject: Subject, inputs: TimingInputs, evaluation: Evaluation,
                    device: torch.device, settings: ProfileSettings, clock: Clock = time.perf_counter,
                    probe: Probe | None = None) -> VariantProfile:
    """First round: fresh load, conversion, timed batches under a memory probe, size on disk, predictions
    and metric."""
    timed = _load_and_time(variant, subject, inputs, device, settings, clock, settings.batch_sizes, probe)
    model = timed.model
    size = size_on_disk(model)
    sparsity = linear_sparsity(model)
    usable = [t.used for t in timed.latency if t.used is not None]
    eval_batch = min(settings.eval_batch_size, max(usable)) if usable else 1  # no larger than what fit
    predictions = _predict_fitting(model, evaluation, inputs.pad_id, eval_batch, device)
    metric = _headline(evaluation, predictions) if subject.trained else None
    del model
    timed.model = None
    release_memory(device)
    return VariantProfile(variant=variant.name, description=variant.description,
                          load_seconds=timed.load_seconds, convert_seconds=timed.convert_seconds, size_bytes=size,
                          latency=timed.latency, memory=timed.memory, values=predictions.values, metric=metric,
                          eval_seconds=predictions.seconds, sparsity=sparsity, note=variant.caveat(device),
                          probe_ms=[] if timed.probe_ms is None else [timed.probe_ms])


def time_again(profile: VariantProfile, variant: Variant, subject: Subject, inputs: TimingInputs,
               device: torch.device, settings: ProfileSettings, clock: Clock = time.perf_counter,
               probe: Probe | None = None) -> _Timed:
    """A later round: fresh load and timing of the batch sizes that fit in the first round."""
    sizes = sorted({t.used for t in profile.latency if t.used is not None})
    timed = _load_and_time(variant, subject, inputs, device, settings, clock, sizes, probe)
    timed.model = None
    release_memory(device)
    return timed


def pooled(profile: VariantProfile, later: Sequence[_Timed]) -> VariantProfile:
    """The first round's profile with every round's latency samples, load times and probe readings."""
    if not later:
        return profile
    profile.probe_ms += [t.probe_ms for t in later if t.probe_ms is not None]
    loads = [profile.load_seconds, *(t.load_seconds for t in later)]
    converts = [profile.convert_seconds, *(t.convert_seconds for t in later)]
    profile.latency = pool_rounds(profile.latency, [t.latency for t in later])
    profile.load_seconds, profile.convert_seconds = statistics.median(loads), statistics.median(converts)
    return profile


def _headline(evaluation: Evaluation, predictions) -> float:
    """The headline metric of a variant's predictions, scored as every evaluation is (harness.evaluation)."""
    task = evaluation.task
    evaluated = evaluate_splits(task, {evaluation.split: evaluation.examples}, lambda *_: predictions, seed=0,
                                metrics=[task.headline], n_boot=0)
    value = evaluated.metrics[evaluation.split]["values"][task.headline]
    return float("nan") if value is None else value  # the record keeps nan as null; the profile computes with nan


def _predict_fitting(model: nn.Module, evaluation: Evaluation, pad_id: int, batch_size: int, device: torch.device):
    """Predictions on the evaluation split, halving the batch while it runs out of memory (its
    examples can be longer than the timed ones)."""
    task = evaluation.task
    while True:
        try:
            return predict(model, evaluation.features, kind=task.kind, pad_id=pad_id, batch_size=batch_size,
                           device=device, fallback_tag=task.labels.index("O") if "O" in task.labels else 0)
        except Exception as exc:  # noqa: BLE001 - only out-of-memory is retried
            if not is_out_of_memory(exc) or batch_size == 1:
                raise
            release_memory(device)
            batch_size //= 2


def warm_up(variant: Variant, subject: Subject, inputs: TimingInputs, device: torch.device,
            settings: ProfileSettings) -> None:
    """One untimed pass of each batch size, so lazy library set-up (thread pools, kernel caches,
    allocator pools) is not charged to whichever variant happens to come first."""
    torch.manual_seed(settings.seed)
    model = variant.apply(subject.load(), device)
    with torch.inference_mode():
        for size in sorted(settings.batch_sizes):
            try:
                model(**inputs.batch(size, device))
            except Exception as exc:  # noqa: BLE001 - running out of memory here is measured properly later
                if not is_out_of_memory(exc):
                    raise
                break
    del model
    release_memory(device)


def agreement(values: list, reference: list, kind: str) -> float | None:
    """Share of predictions equal to the reference's (per word for NER); None for regression."""
    if kind == kinds.REGRESSION or not reference:
        return None
    if kind == kinds.TOKEN_CLASSIFICATION:
        pairs = [(a, b) for row, ref in zip(values, reference) for a, b in zip(row, ref)]
    else:
        pairs = list(zip(values, reference))
    return sum(a == b for a, b in pairs) / len(pairs) if pairs else None


def speedups(latency: Sequence[BatchTiming], reference: Sequence[BatchTiming]) -> dict[str, float]:
    """Per requested batch size: the reference's median latency over this one's, where both measured
    the same batch."""
    theirs = {t.requested: t for t in reference}
    ratios = {}
    for timing in latency:
        other = theirs.get(timing.requested)
        if timing.stats and other and other.stats and other.used == timing.used and timing.stats.median_ms > 0:
            ratios[str(timing.requested)] = round(other.stats.median_ms / timing.stats.median_ms, 3)
    return ratios


def variant_record(profile: VariantProfile, reference: VariantProfile, inputs: TimingInputs) -> dict[str, Any]:
    """The figures of one variant as JSON, with the metric drop and agreement against the reference."""
    drop = None
    if profile.metric is not None and reference.metric is not None:
        drop = reference.metric - profile.metric
    size_ratio = reference.size_bytes / profile.size_bytes if profile.size_bytes else None
    return {
        "variant": profile.variant,
        "description": profile.description,
        "load_seconds": round(profile.load_seconds, 3),
        "convert_seconds": round(profile.convert_seconds, 3),
        "size_bytes": profile.size_bytes,
        "size_ratio_vs_reference": None if size_ratio is None else round(size_ratio, 3),
        "latency": [timing.to_dict() for timing in profile.latency],
        "speedup_vs_reference": speedups(profile.latency, reference.latency),
        "throughput": profile.best_throughput(inputs.length),
        "memory": profile.memory,
        "metric": profile.metric,
        "metric_drop": drop,
        "agreement_with_reference": agreement(profile.values, reference.values, inputs.kind),
        "eval_seconds": round(profile.eval_seconds, 3),
        "linear_sparsity": None if profile.sparsity is None or math.isnan(profile.sparsity)
        else round(profile.sparsity, 4),
        "note": profile.note,
        **({"machine_probe_ms": [round(ms, 4) for ms in profile.probe_ms]} if profile.probe_ms else {}),
    }


def profile_variants(variants: Sequence[Variant], subject: Subject, inputs: TimingInputs, evaluation: Evaluation,
                     device: torch.device, settings: ProfileSettings, clock: Clock = time.perf_counter,
                     on_done: Callable[[VariantProfile], None] | None = None,
                     on_round: Callable[[int], None] | None = None,
                     probe: Probe | None = None) -> list[dict[str, Any]]:
    """One record per variant; the first variant is the reference the others are compared with.

    Round 1 measures everything; rounds 2.. load and time each variant again, in the same order.
    `probe` (if given) is read before each variant's timing in every round."""
    warm_up(variants[0], subject, inputs, device, settings)
    if on_round is not None:
        on_round(1)
    profiles = [profile_variant(variant, subject, inputs, evaluation, device, settings, clock, probe)
                for variant in variants]
    later: list[list[_Timed]] = [[] for _ in variants]
    for round_number in range(2, settings.rounds + 1):
        if on_round is not None:
            on_round(round_number)
        for index, variant in enumerate(variants):
            later[index].append(time_again(profiles[index], variant, subject, inputs, device, settings, clock,
                                           probe))
    profiles = [pooled(profile, rounds) for profile, rounds in zip(profiles, later)]
    if on_done is not None:
        for profile in profiles:
            on_done(profile)
    return [variant_record(profile, profiles[0], inputs) for profile in profiles]
