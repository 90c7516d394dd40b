"""Latency, throughput, memory, size and metric of a model's variants, measured on the same weights.

    from harness.profiling import ProfileSettings, profile_model
    outcome = profile_model(task="sst2", run_id=RUN, results="results", variants="all")
    outcome.record["variants"][1]["latency"][0]["latency"]["median_ms"]

timing.py (percentiles over timed runs, batch back-off), memory.py (RSS / CUDA peaks, size
on disk), inputs.py (fixed-length real inputs), machine.py (the machine's own speed, probed
between variants), profile.py (one variant measured), report.py (table, markdown, plot),
profiler.py (the whole profile, recorded).
"""

from harness.profiling.profile import ProfileSettings, Subject, profile_variants
from harness.profiling.report import plot_profile, profile_markdown, profile_table
from harness.profiling.profiler import ProfileOutcome, profile_model
from harness.profiling.timing import LatencyStats, percentile, summarize, time_batch_sizes, time_call

__all__ = [
    "LatencyStats",
    "ProfileOutcome",
    "ProfileSettings",
    "Subject",
    "percentile",
    "plot_profile",
    "profile_markdown",
    "profile_model",
    "profile_table",
    "profile_variants",
    "summarize",
    "time_batch_sizes",
    "time_call",
]
