"""`harness profile`: latency, throughput, memory, size and metric of a model's compressed variants."""

from __future__ import annotations

import click
import torch
from rich.console import Console
from rich.table import Table

from harness.cli import options
from harness.cli.range_type import ranged
from harness.device import resolve_device
from harness.errors import HarnessError
from harness.profiling import ProfileSettings, profile_model, profile_table
from harness.record import strict_json
from harness.ranges import Range
from harness.spec import RANGES
from harness.variants import all_variants, unavailable_reason


def _batch_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise HarnessError(f"--batch-sizes takes comma-separated positive integers such as 1,8,32, got '{text}'") \
            from None
    if not sizes or min(sizes) < 1:
        raise HarnessError(f"--batch-sizes takes comma-separated positive integers such as 1,8,32, got '{text}'")
    return sizes


def _variant_list(device: torch.device) -> Table:
    table = Table(title=f"variants · on {device.type} here", title_justify="left")
    for column in ("name", "what it is", "runs on", f"on {device.type} here"):
        table.add_column(column)
    for name, variant in all_variants().items():
        reason = unavailable_reason(variant, device)
        table.add_row(name, variant.description, ", ".join(variant.devices), "yes" if reason is None else reason)
    return table


@click.command()
@click.option("--model", help="Pretrained model (short name, folder or hub id) profiled with a fresh, untrained head.")
@click.option("--run", "run_id", help="A recorded run saved with --save-model: its fine-tuned model is profiled.")
@click.option("--task", help="Task name or YAML file: its evaluation split gives the inputs and the metric.")
@click.option("--variants", default="all", show_default=True,
              help="'all' (every variant this device and model can run) or names: fp32,int8-dynamic,... "
                   "(see --list).")
@click.option("--batch-sizes", default="1,8,32", show_default=True, help="Batch sizes to time, comma-separated.")
@click.option("--repeats", type=ranged(Range(int, 1, 1_000_000, meaning="timed runs")), default=20, show_default=True,
              help="Timed runs per batch size, at least, over all rounds.")
@click.option("--min-seconds", type=ranged(Range(float, 0, 86_400, meaning="seconds")), default=5.0, show_default=True,
              help="Keep timing each batch size until its runs add up to this over all rounds (steadier medians "
                   "on a busy machine).")
@click.option("--rounds", type=ranged(Range(int, 1, 1000, meaning="rounds")), default=5, show_default=True,
              help="Load and time every variant this many times in turn, pooling each batch size's runs: a slow "
                   "spell of the machine then touches every variant alike instead of one.")
@click.option("--warmup", type=ranged(Range(int, 0, 100_000, meaning="untimed runs")), default=3, show_default=True, help="Untimed runs after each load.")
@click.option("--eval-limit", type=ranged(RANGES["eval_limit"]), help="Score the metric on a fixed sample of this many evaluation examples.")
@click.option("--eval-batch-size", type=ranged(RANGES["batch_size"]), default=32, show_default=True,
              help="Batch size for scoring the metric (at most the largest timed batch that fit).")
@click.option("--threads", type=ranged(Range(int, 1, 4096, meaning="CPU threads")), help="CPU threads for torch (default: torch's own choice); recorded.")
@click.option("--max-length", type=ranged(RANGES["max_length"]), help="Token budget per example (pretrained only; a run keeps its own).")
@click.option("--pooling", type=click.Choice(["mean", "cls", "last"]), help="Pooling of the fresh head (pretrained).")
@options.device
@click.option("--list", "list_only", is_flag=True, help="Only list the variants and whether this device runs them.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole profile record as JSON on stdout.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
@options.data_dir
@options.tasks_dirs
@options.results_dir
def profile(model, run_id, task, variants, batch_sizes, repeats, min_seconds, rounds, warmup, eval_limit, eval_batch_size, max_length,
            pooling, threads, device, list_only, as_json, quiet, data_dir, tasks_dirs, output):
    """Measure a model's variants side by side: latency at each batch size, throughput, memory, size on disk
    and the task's metric, on the same weights; record them in <results>/<task>/profiles/."""
    target = resolve_device(None if device == "auto" else device)
    if list_only:
        Console().print(_variant_list(target))
        return
    if task is None:
        raise HarnessError("--task is required (its evaluation split gives the inputs and the metric)")
    if device == "cuda" and not torch.cuda.is_available():
        raise HarnessError("--device cuda: no CUDA device is visible here; use --device cpu")
    if eval_batch_size < 1:
        raise HarnessError(f"--eval-batch-size must be a positive integer, got {eval_batch_size}")
    settings = ProfileSettings(batch_sizes=_batch_sizes(batch_sizes), warmup=warmup, repeats=repeats,
                               min_seconds=min_seconds, rounds=rounds,
                               eval_batch_size=eval_batch_size, threads=threads)
    outcome = profile_model(task=task, model=model, run_id=run_id, variants=variants, results=output,
                            data_dir=data_dir, tasks_dirs=list(tasks_dirs), eval_limit=eval_limit,
                            device=target.type, settings=settings, max_length=max_length, pooling=pooling,
                            show_progress=not quiet and not as_json)
    if as_json:
        click.echo(strict_json.dumps(outcome.record, indent=2))
        return
    console = Console()
    console.print(profile_table(outcome.record))
    plot = outcome.plot_path or "none (an untrained regression head has no score to plot)"
    console.print(f"recorded: {outcome.json_path}\nmarkdown: {outcome.markdown_path}\nplot: {plot}")
