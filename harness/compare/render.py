"""A Comparison as a rich table, as markdown, and as one sentence per method."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text

from harness.compare import units
from harness.compare.table import (
    BETTER,
    INDISTINGUISHABLE,
    NO_PAIRED_SEEDS,
    REFERENCE,
    WORSE,
    Comparison,
    MethodRow,
)

Column = tuple[str, Callable[[MethodRow], str], bool]  # (header, cell text, right-aligned)


def _percent(comparison: Comparison) -> str:
    return f"{comparison.confidence * 100:g}%"


def columns(comparison: Comparison) -> list[Column]:
    """The columns both renderings show, in order."""
    c = comparison
    out: list[Column] = [
        ("method", lambda r: r.label, False),
        ("seeds", lambda r: str(len(r.seeds)), True),
        (f"{c.metric} ({c.split})", lambda r: _mean_std(r), True),
        (f"{_percent(c)} CI", lambda r: units.interval(r.interval), True),
        (f"Δ vs {c.reference}", lambda r: units.signed(r.delta), True),
        ("p (bootstrap)", lambda r: units.p_value(r.p_value, c.n_boot), True),
    ]
    if c.has_mcnemar:
        out.append(("p (McNemar)", lambda r: units.p_value(r.mcnemar_p), True))
    out += [
        ("verdict", lambda r: r.verdict, False),
        ("trainable params", lambda r: units.parameters(r.costs.trainable_parameters, r.costs.trainable_share), True),
        ("deploy size", lambda r: units.size_bytes(r.costs.deploy_bytes), True),
        ("train speed", lambda r: units.rate(r.costs.train_examples_per_second), True),
        ("train time", lambda r: units.seconds(r.costs.train_seconds), True),
        ("peak train memory", lambda r: units.memory_mb(r.costs.peak_train_memory_mb, r.costs.memory_kind), True),
        ("inference speed", lambda r: units.rate(r.costs.inference_examples_per_second), True),
    ]
    return out


def _mean_std(row: MethodRow) -> str:
    if len(row.seeds) < 2 or units.score(row.std) == units.MISSING:
        return units.score(row.mean)
    return f"{units.score(row.mean)} ± {units.score(row.std)}"


def _title(comparison: Comparison) -> str:
    c = comparison
    return f"{c.task}: methods against {c.reference} ({c.model}, {c.metric} on {c.n_examples} {c.split} examples)"


def rich_table(comparison: Comparison) -> Table:
    """The terminal table; the best mean score in bold."""
    best = comparison.best()
    cols = columns(comparison)
    table = Table(title=_title(comparison), caption=describe_test(comparison))
    for header, _, right in cols:
        table.add_column(header, justify="right" if right else "left")
    score_column = 2
    for row in comparison.rows:
        cells: list[str | Text] = [cell(row) for _, cell, _ in cols]
        if row is best:
            cells[score_column] = Text(str(cells[score_column]), style="bold")
        table.add_row(*cells)
    return table


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(comparison: Comparison) -> str:
    """The same table as markdown, then one sentence per method and the test used."""
    best = comparison.best()
    cols = columns(comparison)
    lines = [f"## {_title(comparison)}", ""]
    lines.append("| " + " | ".join(header for header, _, _ in cols) + " |")
    lines.append("|" + "|".join("---:" if right else "---" for _, _, right in cols) + "|")
    for row in comparison.rows:
        cells = [_markdown_cell(cell(row)) for _, cell, _ in cols]
        if row is best:
            cells[2] = f"**{cells[2]}**"
        lines.append("| " + " | ".join(cells) + " |")
    sentences = verdict_sentences(comparison)
    if sentences:
        lines += ["", *(f"- {sentence}" for sentence in sentences)]
    lines += ["", describe_test(comparison), ""]
    return "\n".join(lines)


def describe_test(comparison: Comparison) -> str:
    """What the p-values and intervals mean, in one paragraph."""
    c = comparison
    text = (
        f"Test: paired bootstrap over the {c.n_examples} {c.split} examples ({c.n_boot} resamples, the same for "
        f"every run; the delta is averaged over the seeds both methods share), two-sided, alpha = {c.alpha:g}; "
        f"intervals are {_percent(c)} percentile intervals over the resamples."
    )
    if c.has_mcnemar:
        text += " McNemar: exact binomial test on the discordant (seed, example) pairs pooled over paired seeds."
    return text


def _p_phrase(p_value: float | None, n_boot: int) -> str:
    text = units.p_value(p_value, n_boot)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def verdict_sentences(comparison: Comparison) -> list[str]:
    """One sentence per method besides the reference, e.g.
    'lora is indistinguishable from full on sst2 accuracy (delta -0.004, 95% CI [-0.012, 0.004], p = 0.31)'.
    """
    c = comparison
    on = f"on {c.task} {c.metric}"
    ref_seeds = ", ".join(str(s) for s in c.row(c.reference).seeds)
    out = []
    for row in c.rows:
        if row.verdict == REFERENCE:
            continue
        if row.verdict == NO_PAIRED_SEEDS:
            seeds = ", ".join(str(s) for s in row.seeds)
            out.append(f"{row.label} shares no seed with {c.reference} (seeds {seeds} vs {ref_seeds}): "
                       f"no paired test {on}")
            continue
        evidence = (f"delta {units.signed(row.delta)}, {_percent(c)} CI {units.interval(row.delta_interval)}, "
                    f"{_p_phrase(row.p_value, c.n_boot)}")
        if row.verdict in (BETTER, WORSE):
            out.append(f"{row.label} is {row.verdict} than {c.reference} {on} ({evidence})")
        elif row.verdict == INDISTINGUISHABLE:
            out.append(f"{row.label} is indistinguishable from {c.reference} {on} ({evidence})")
        else:
            out.append(f"{row.label} cannot be tested against {c.reference} {on}: the metric is undefined "
                       f"on most resamples ({evidence})")
    return out
