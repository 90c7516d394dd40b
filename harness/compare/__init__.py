"""Does a method match the reference (full fine-tuning) on a task, and at what cost?

    comparison = build_comparison(records, {run_id: prediction_rows, ...}, reference="full")
    console.print(rich_table(comparison)); markdown(comparison); plot_pareto(comparison, "pareto.png")

Pure analysis over recorded runs (records and their per-example predictions): paired
tests over seeds and examples, a table with costs, verdict sentences and a Pareto plot.
matplotlib is imported only when a plot is drawn.
"""

from harness.compare.grouping import MethodRuns, check_comparable, group_methods
from harness.compare.plot import pareto_front, plot_pareto
from harness.compare.render import describe_test, markdown, rich_table, verdict_sentences
from harness.compare.stats import (
    McNemarResult,
    PairedResult,
    Resampled,
    SeedSummary,
    mcnemar,
    mean_interval,
    paired_bootstrap,
    paired_delta,
    resample,
    seed_mean_interval,
    seed_summary,
)
from harness.compare.table import (
    BETTER,
    INDISTINGUISHABLE,
    NO_PAIRED_SEEDS,
    REFERENCE,
    UNDEFINED,
    WORSE,
    Comparison,
    Costs,
    MethodRow,
    build_comparison,
)

__all__ = [
    "BETTER",
    "INDISTINGUISHABLE",
    "NO_PAIRED_SEEDS",
    "REFERENCE",
    "UNDEFINED",
    "WORSE",
    "Comparison",
    "Costs",
    "McNemarResult",
    "MethodRow",
    "MethodRuns",
    "PairedResult",
    "Resampled",
    "SeedSummary",
    "build_comparison",
    "check_comparable",
    "describe_test",
    "group_methods",
    "markdown",
    "mcnemar",
    "mean_interval",
    "paired_bootstrap",
    "paired_delta",
    "pareto_front",
    "plot_pareto",
    "resample",
    "rich_table",
    "seed_mean_interval",
    "seed_summary",
    "verdict_sentences",
]
