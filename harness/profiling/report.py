"""A recorded profile shown three ways: a rich table, markdown, and a PNG of metric against latency.

All three read the profile record (the JSON written to results/), so saved profiles render
the same as fresh ones.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rich.table import Table

from harness.errors import HarnessError
from harness.profiling.timing import round_spread


def _title(record: dict[str, Any]) -> str:
    model = record["model"]
    who = model["name"] + (f" (run {model['run_id']}, {model['method']})" if model.get("run_id") else "")
    return (f"profile · {record['task']['name']} · {who} · {record['device']} · "
            f"inputs of {record['inputs']['length']} tokens")


def _latency_cell(timing: dict[str, Any], full: bool = False) -> str:
    if timing["latency"] is None:
        return "OOM"
    stats = timing["latency"]
    text = f"{stats['median_ms']:.1f}"
    if full:
        text += f" / {stats['p90_ms']:.1f} / {stats['p99_ms']:.1f}"
    if timing["used"] != timing["requested"]:
        text += f" (b{timing['used']})"
    return text


def _percent(value: float | None, signed: bool = False, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value * 100:{'+' if signed else ''}.{digits}f}"


def _speedup_cell(variant: dict[str, Any], sizes: list[int]) -> str:
    ratios = variant.get("speedup_vs_reference", {})
    # the smallest and the largest batch: latency-bound and throughput-bound use
    return " / ".join(f"{ratios[str(size)]:.2f}x" if str(size) in ratios else "-"
                      for size in dict.fromkeys([min(sizes), max(sizes)]))


def _row(variant: dict[str, Any], trained: bool, sizes: list[int], full: bool = False) -> list[str]:
    throughput = variant["throughput"] or {}
    memory = variant["memory"]
    return [
        variant["variant"],
        *[_latency_cell(timing, full) for timing in variant["latency"]],
        _speedup_cell(variant, sizes),
        f"{throughput['examples_per_second']:.0f} (b{throughput['batch_size']})" if throughput else "-",
        *([f"{throughput['tokens_per_second']:.0f}" if throughput else "-"] if full else []),
        f"{memory['model_and_activations_mb']:.0f}",
        f"{variant['size_bytes'] / 1e6:.1f}",
        _percent(variant["metric"]) if trained else "n/a",
        _percent(variant["metric_drop"], signed=True) if trained else "n/a",
        *([_percent(variant["agreement_with_reference"], digits=1)] if full or not trained else []),
    ]


def _memory_column(record: dict[str, Any]) -> tuple[str, str]:
    kind = record["variants"][0]["memory"]["kind"] if record["variants"] else "cpu_rss"
    if kind.startswith("cuda"):
        return "GPU MB", "max allocated on the GPU over the timed batches"
    return "RSS MB", "peak process RSS over the timed batches, above the process before the model loaded"


def _columns(record: dict[str, Any], full: bool = False) -> list[str]:
    """Markdown gets every figure; the terminal table leaves out tokens/s, and agreement unless the head
    is untrained (then it is the only sign of what a variant changed), to stay narrow."""
    sizes = record["settings"]["batch_sizes"]
    per_batch = " ms (median / p90 / p99)" if full else " ms"
    speedup = "speed-up " + " / ".join(f"b{size}" for size in dict.fromkeys([min(sizes), max(sizes)]))
    return ["variant", *[f"b{size}{per_batch}" for size in sizes], speedup, "ex/s",
            *(["tok/s"] if full else []), _memory_column(record)[0], "disk MB", record["evaluation"]["metric"],
            "drop", *(["agree %"] if full or not record["model"]["trained_head"] else [])]


def _legend(record: dict[str, Any], full: bool = False) -> str:
    label, meaning = _memory_column(record)
    reference = record["reference"]
    return (f"bN ms: median latency of a batch of N (in brackets, the smaller batch measured when N ran out of "
            f"memory); speed-up: {reference}'s median latency over the variant's; ex/s"
            f"{', tok/s' if full else ''}: throughput at the best batch size; {label}: {meaning}; disk MB: "
            f"saved state_dict; drop: points lost against {reference}"
            + (f"; agree %: predictions equal to {reference}'s" if full or not record["model"]["trained_head"]
               else ""))


def _footnotes(record: dict[str, Any], full: bool = False) -> list[str]:
    notes = [_legend(record, full)]
    if not record["model"]["trained_head"]:
        notes.append("metric not shown: a pretrained model with a freshly initialised head scores chance; "
                     "'agree %' still shows how far each variant moves the predictions")
    notes += [f"{v['variant']}: {v['note']}" for v in record["variants"] if v.get("note")]
    notes += [f"skipped {name}: {reason}" for name, reason in record.get("skipped", {}).items()]
    steadiness = steadiness_note(record)
    return notes + ([steadiness] if steadiness else [])


UNSTEADY = 0.05  # a pooled median that one round moves further: the machine's speed moved for long


def steadiness_note(record: dict[str, Any]) -> str | None:
    """How far a batch's median moved between rounds, and how much the pooled medians hang on any one round."""
    timings = [(t, v["variant"]) for v in record["variants"] for t in v["latency"] if t.get("round_medians_ms")]
    spreads = [(round_spread(t["round_medians_ms"]), variant, t["used"]) for t, variant in timings]
    spreads = [entry for entry in spreads if entry[0] is not None]
    if not spreads:
        return None
    spread, variant, size = max(spreads)
    text = (f"steadiness: a batch's median moved by up to {spread:.0%} between the "
            f"{record['settings'].get('rounds')} rounds ({variant} b{size})")
    moves = [(t["median_moves_without_a_round"], variant, t["used"]) for t, variant in timings
             if t.get("median_moves_without_a_round") is not None]
    if moves:  # none with fewer than 3 rounds, or in a record from before this was measured
        moved, variant, size = max(moves)
        text += f"; leaving out any one round moves a pooled median by at most {moved:.1%} ({variant} b{size})"
        if moved > UNSTEADY:
            single = record["settings"].get("threads") == 1
            text += ("; the machine's speed changed for longer than a round and these figures may not repeat: "
                     "profile on an idle machine" + ("" if single else ", or with --threads 1 (one thread waits on "
                                                                        "no other)"))
    return text + _probe_note(record.get("machine_probe"))


def _probe_note(probe: dict[str, Any] | None) -> str:
    """The machine's own speed over the profile, from the fixed product timed before each variant."""
    if not probe or probe.get("spread") is None:
        return ""
    return (f"; the machine itself (a fixed fp32 matmul timed before each variant) took {probe['min_ms']:.3g}-"
            f"{probe['max_ms']:.3g} ms, median {probe['median_ms']:.3g}: {probe['spread']:.0%} apart")


def profile_table(record: dict[str, Any]) -> Table:
    trained = record["model"]["trained_head"]
    table = Table(title=_title(record), title_justify="left",
                  caption="\n".join(_footnotes(record)) or None, caption_justify="left")
    for i, column in enumerate(_columns(record)):
        # names never wrap or shorten: on a narrow terminal the figures' headers wrap instead
        table.add_column(column, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for variant in record["variants"]:
        table.add_row(*_row(variant, trained, record["settings"]["batch_sizes"]))
    return table


def profile_markdown(record: dict[str, Any]) -> str:
    trained = record["model"]["trained_head"]
    columns = _columns(record, full=True)
    lines = [f"### {_title(record)}", "",
             f"torch {record['torch']}, at least {record['settings']['repeats']} timed runs "
             f"({record['settings'].get('min_seconds', 0):g} s) per batch size over "
             f"{record['settings'].get('rounds', 1)} round(s), {record['settings']['warmup']} warm-up runs after "
             f"each load; metric on {record['evaluation']['split']} "
             f"({record['evaluation']['examples']} examples).", "",
             "| " + " | ".join(columns) + " |", "|" + "|".join(["---"] + ["---:"] * (len(columns) - 1)) + "|"]
    sizes = record["settings"]["batch_sizes"]
    lines += ["| " + " | ".join(_row(variant, trained, sizes, full=True)) + " |" for variant in record["variants"]]
    footnotes = _footnotes(record, full=True)
    if footnotes:
        lines += [""] + [f"- {note}" for note in footnotes]
    return "\n".join(lines) + "\n"


def _plot_point(variant: dict[str, Any], trained: bool) -> tuple[float, float] | None:
    measured = [t for t in variant["latency"] if t["latency"] is not None]
    value = variant["metric"] if trained else variant["agreement_with_reference"]
    if not measured or value is None:
        return None
    return measured[0]["latency"]["median_ms"], value * 100


def plottable(record: dict[str, Any]) -> bool:
    """True when some variant has a latency and a score (an untrained regression head has neither
    a metric nor an agreement share)."""
    trained = record["model"]["trained_head"]
    return any(_plot_point(variant, trained) is not None for variant in record["variants"])


def plot_profile(record: dict[str, Any], path: Path | str) -> Path:
    """PNG: the metric (or agreement with the reference, for an untrained head) against latency."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    trained = record["model"]["trained_head"]
    points = {v["variant"]: _plot_point(v, trained) for v in record["variants"]}
    points = {name: point for name, point in points.items() if point is not None}
    if not points:
        raise HarnessError("no variant has both a latency and a score to plot")
    batch = next(t["used"] for v in record["variants"] for t in v["latency"] if t["latency"] is not None)
    figure = Figure(figsize=(7, 4.5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for i, (name, (x, y)) in enumerate(sorted(points.items(), key=lambda item: item[1])):
        is_reference = name == record["reference"]
        axes.plot([x], [y], "s" if is_reference else "o", color="tab:red" if is_reference else "tab:blue",
                  markersize=7)
        # labels alternate above and below: variants often sit at almost the same point
        axes.annotate(name, (x, y), textcoords="offset points", xytext=(6, 6 if i % 2 == 0 else -14), fontsize=8)
    axes.set_xlabel(f"median latency at batch {batch} (ms, {record['inputs']['length']} tokens)")
    axes.set_ylabel(f"{record['evaluation']['metric']} x 100" if trained
                    else f"agreement with {record['reference']} (%) - untrained head")
    axes.set_title(_title(record), fontsize=9)
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
