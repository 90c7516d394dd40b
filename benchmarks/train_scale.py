"""Scale benchmark: training throughput, MFU and peak memory of Llama-style models at about 0.5B, 1B, 3B and 8B
parameters, through the harness's training loop, a plain PyTorch loop and the Hugging Face Trainer.

    python benchmarks/train_scale.py                      # on one GPU: every configuration, seq 512 and 1024
    python benchmarks/train_scale.py --model gemma3-270m --methods full --seq-lens 256 --batch-size 8 \\
        --steps 3 --warmup 1 --repeats 2 --loops harness,plain,trainer \\
        --output results/benchmarks/train_scale/cpu.json  # on CPU

The models are built from a transformers LlamaConfig with random weights (speed and memory need no trained
weights; shapes of Qwen2.5-0.5B, Llama-3.2-1B, Llama-3.2-3B and Llama-3.1-8B, harness/scale/throughput.py), or
`--model NAME` is a real harness model. The model trained is the harness's own TaskModel (classification,
last-token pooling) on fixed-length random token sequences, so every step costs the same. Methods: full
fine-tuning (fp32 weights, bf16 mixed precision on GPU), LoRA (the harness's defaults; its frozen base held in
bf16 on GPU, since an fp32 8B base alone is 32 GB; fp32 on CPU) and QLoRA (the base saved once with
save_pretrained into --cache-dir, loaded back 4-bit NF4 through harness.scale's pretrained_kwargs and
prepare_backbone; CUDA only), each with and without gradient checkpointing (harness.scale enable_checkpointing).

Three loops over the same model (rebuilt from the same seed for each: the same initial weights), batches and
steps: the harness (`harness.train.loop.train` with its accelerator, as `harness run --quiet` uses it), a plain
loop (forward, backward, clip, AdamW, linear schedule; bf16 autocast on CUDA) and the Trainer (its defaults,
bf16 on CUDA). Each loop's clock is read after each optimiser update (after torch.cuda.synchronize on GPU); the
first --warmup updates are not timed, nor is anything before the first update or after the last (the harness's
copies of the trainable weights for its start-over and best epoch, its selection pass). With --repeats the
loops run again in the opposite order, alternating; medians are shown.

MFU = 6 x N x tokens/s / the GPU's dense bf16 peak (named peaks and their datasheets in
harness/scale/throughput.py; --peak-tflops overrides; unknown GPU or CPU: not available). N counts every
backbone weight except the input embedding (a lookup) plus the head; 6N ignores attention's own FLOPs and
overcounts LoRA and QLoRA, which compute no weight gradients for the frozen base.

Memory: on GPU the peak allocated and reserved CUDA memory of each loop (peak statistics reset before it), on
CPU the process's peak RSS (the kernel's high-water mark) and its rise over the RSS before training; on CPU
every loop of every cell runs in a fresh process (this script re-invoking itself), so each peak is its own. On
GPU each cell also finds the largest batch that fits (doubling from 1, one harness step each, until out of
memory). On CPU only the smallest configuration asked for runs, and QLoRA cells show "CUDA only".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch
from scale_render import cell_rows, columns, render

from harness.errors import HarnessError
from harness.ranges import SEED, Range
from harness.scale.throughput import (
    CONFIGS,
    SHAPES_OF,
    count_parameters,
    llama_config,
    mfu,
    named_peak,
    tokens_per_second,
)

METHODS = ("full", "lora", "qlora")
LOOP_NAMES = ("harness", "plain", "trainer")
RESULT_PREFIX = "SCALE_RESULT "
FULL_BYTES_PER_PARAMETER = 16  # full fine-tuning: fp32 weight, gradient and AdamW's two moments
RANGES = {
    "--batch-size": Range(int, 1, 4096, meaning="examples per step"),
    "--steps": Range(int, 1, 10_000, meaning="timed optimiser updates"),
    "--warmup": Range(int, 1, 1000, meaning="untimed updates before the timed ones"),
    "--repeats": Range(int, 1, 100, meaning="runs of each loop, alternating their order"),
    "--peak-tflops": Range(float, 0, 1e6, low_open=True, meaning="the GPU's dense bf16 peak in TFLOPS"),
    "--seq-lens": Range(int, 8, 131_072, meaning="a sequence length in tokens"),
    "--seed": SEED,
}


def ranged(flag: str, many: bool = False):
    def convert(text: str):
        try:
            values = [RANGES[flag].check(flag, part) for part in (text.split(",") if many else [text])]
        except HarnessError as exc:  # argparse reports it in one line, exit 2
            raise argparse.ArgumentTypeError(str(exc)) from None
        return values if many else values[0]
    return convert


def choices(allowed: tuple[str, ...]):
    def convert(text: str) -> list[str]:
        names = [part.strip() for part in text.split(",") if part.strip()]
        wrong = [name for name in names if name not in allowed]
        if wrong or not names:
            raise argparse.ArgumentTypeError(f"{','.join(wrong) or text!r}: expected some of {', '.join(allowed)}")
        return names
    return convert


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=choices(tuple(CONFIGS)), default=["0.5b", "1b", "3b", "8b"])
    parser.add_argument("--model", help="a harness model (e.g. gemma3-270m) instead of the random configurations")
    parser.add_argument("--seq-lens", type=ranged("--seq-lens", many=True), default=[512, 1024])
    parser.add_argument("--methods", type=choices(METHODS), default=list(METHODS))
    parser.add_argument("--checkpointing", choices=("on", "off", "both"), default="both")
    parser.add_argument("--loops", type=choices(LOOP_NAMES), default=list(LOOP_NAMES))
    parser.add_argument("--batch-size", type=ranged("--batch-size"), default=4)
    parser.add_argument("--steps", type=ranged("--steps"), default=10)
    parser.add_argument("--warmup", type=ranged("--warmup"), default=2)
    parser.add_argument("--repeats", type=ranged("--repeats"), default=1)
    parser.add_argument("--peak-tflops", type=ranged("--peak-tflops"), default=None)
    parser.add_argument("--seed", type=ranged("--seed"), default=0)
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "harness" / "scale-bench",
                        help="where QLoRA's random bases are saved once")
    parser.add_argument("--output", type=Path, help="write every measured figure here (JSON)")
    parser.add_argument("--render", nargs="+", metavar="RECORD",
                        help="print the README's markdown table of these records (paths under --results)")
    parser.add_argument("--results", type=Path, default=Path("results"), help="where --render finds the records")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # one job, run by this script in a child process
    return parser.parse_args(argv)


def cells(args: argparse.Namespace, cuda: bool) -> list[dict[str, Any]]:
    configs = [args.model] if args.model else args.configs
    if not cuda and not args.model and len(configs) > 1:
        configs = [min(configs, key=list(CONFIGS).index)]
        print(f"no CUDA: only the smallest configuration asked for runs ({configs[0]})", file=sys.stderr)
    checkpointing = {"on": [True], "off": [False], "both": [False, True]}[args.checkpointing]
    return [{"config": None if args.model else config, "model": args.model, "seq_len": seq, "method": method,
             "checkpointing": ckpt, "batch_size": args.batch_size, "steps": args.steps, "warmup": args.warmup,
             "seed": args.seed, "cache_dir": str(args.cache_dir)}
            for config in configs for seq in args.seq_lens for method in args.methods for ckpt in checkpointing]


def run_job(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The job in a fresh process of this script; its results, or one failure per loop."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    done = subprocess.run([sys.executable, __file__, "--worker", json.dumps(job)], capture_output=True, text=True,
                          env=env, check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    error = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
    return [{"loop": loop, "status": "failed", "error": error} for loop in job["loops"]]


def measure_cell(cell: dict[str, Any], loops: list[str], repeats: int, cuda: bool, total: int) -> dict[str, Any]:
    if cell["method"] == "qlora" and not cuda:
        return {**cell, "status": "cuda_only", "runs": []}
    memory = torch.cuda.get_device_properties(0).total_memory if cuda else None
    if cuda and cell["method"] == "full" and FULL_BYTES_PER_PARAMETER * total > memory:
        need = FULL_BYTES_PER_PARAMETER * total / 2**30  # not tried: out of memory after minutes of host copies
        return {**cell, "status": "does_not_fit", "runs": [], "error": f"fp32 weights, gradients and AdamW states "
                f"alone need {need:.0f} GiB"}
    runs: list[dict[str, Any]] = []
    for repeat in range(repeats):
        order = loops if repeat % 2 == 0 else loops[::-1]  # alternate: drift in machine load favours no loop
        if cuda:  # one process per cell: peak statistics reset per loop, memory freed between loops
            runs += [{**r, "repeat": repeat} for r in run_job({**cell, "loops": order})]
        else:  # one process per loop: the RSS high-water mark is that loop's alone
            runs += [{**r, "repeat": repeat} for loop in order for r in run_job({**cell, "loops": [loop]})]
        for run in runs[-len(order):]:
            print(f"  {describe(cell)} repeat {repeat}: {progress(run, cell)}", file=sys.stderr, flush=True)
    if cuda:
        runs += run_job({**cell, "loops": ["largest_batch"]})
    return {**cell, "status": "measured", "runs": runs}


def progress(run: dict[str, Any], cell: dict[str, Any]) -> str:
    if run["status"] != "ok":
        return f"{run['loop']} {run['status']} {run.get('error', '')}"
    rate = tokens_per_second(run["stamps"], cell["batch_size"] * cell["seq_len"], cell["warmup"])
    memory = {k: round(v) for k, v in run.items() if k.endswith("_mb")}
    return f"{run['loop']} {rate:,.1f} tokens/s {memory}"


def describe(cell: dict[str, Any]) -> str:
    return (f"{cell['model'] or cell['config']} seq {cell['seq_len']} {cell['method']} "
            f"ckpt {'on' if cell['checkpointing'] else 'off'}")


def summarise(cell: dict[str, Any], flop_parameters: int, peak) -> dict[str, Any]:
    """Per loop: median tokens/s over repeats, MFU, the largest peak memory; the harness's ratios to the others."""
    tokens = cell["batch_size"] * cell["seq_len"]
    loops: dict[str, dict[str, Any]] = {}
    for run in cell["runs"]:
        if run["loop"] == "largest_batch":
            cell["largest_batch"] = run.get("largest_batch") if run["status"] == "ok" else run["status"]
            continue
        entry = loops.setdefault(run["loop"], {"tokens_per_s_runs": [], "status": run["status"]})
        if run["status"] != "ok":
            entry["status"] = run["status"]
            continue
        entry["tokens_per_s_runs"].append(tokens_per_second(run["stamps"], tokens, cell["warmup"]))
        for key in ("peak_allocated_mb", "peak_reserved_mb", "peak_rss_mb"):
            if key in run:
                entry[key] = max(entry.get(key, 0.0), run[key])
        if "baseline_rss_mb" in run:
            entry["rss_rise_mb"] = max(entry.get("rss_rise_mb", 0.0), run["peak_rss_mb"] - run["baseline_rss_mb"])
    for entry in loops.values():
        if entry["status"] == "ok":
            entry["tokens_per_s"] = statistics.median(entry["tokens_per_s_runs"])
            entry["mfu"] = mfu(flop_parameters, entry["tokens_per_s"], peak)
    harness = loops.get("harness", {}).get("tokens_per_s")
    cell["ratios"] = {f"harness/{name}": harness / entry["tokens_per_s"] for name, entry in loops.items()
                      if name != "harness" and harness and entry.get("tokens_per_s")}
    cell["loops"] = loops
    return cell


def show(cells_out: list[dict[str, Any]], counts: dict[str, Any], cuda: bool, device: str, peak) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"training throughput and memory on {device}; MFU against "
                        f"{f'{peak.flops / 1e12:g} TFLOPS ({peak.name})' if peak else 'n/a (no named peak)'}")
    for column in columns("MFU", "peak alloc / reserved GiB" if cuda else "peak RSS / rise GiB"):
        table.add_column(column, justify="left" if column in ("model (N for MFU)", "method") else "right")
    for row in cell_rows(cells_out, counts, lambda loops: _harness_memory(loops.get("harness", {}), cuda)):
        table.add_row(*row)
    Console(width=200).print(table)


def _harness_memory(harness: dict[str, Any], cuda: bool) -> str:
    if harness.get("status") != "ok":
        return "-"
    if cuda:
        return f"{harness.get('peak_allocated_mb', 0) / 1024:.1f} / {harness.get('peak_reserved_mb', 0) / 1024:.1f}"
    return f"{harness.get('peak_rss_mb', 0) / 1024:.2f} / {harness.get('rss_rise_mb', 0) / 1024:.2f}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        from scale_worker import measure

        print(RESULT_PREFIX + json.dumps(measure(json.loads(args.worker))), flush=True)
        return 0
    if args.render:
        try:
            print(render(args.render, args.results), end="")
        except HarnessError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    cuda = torch.cuda.is_available()
    device = torch.cuda.get_device_name() if cuda else f"CPU ({platform.processor() or platform.machine()}, " \
                                                        f"{torch.get_num_threads()} threads)"
    peak = named_peak(device if cuda else None, args.peak_tflops)
    todo = cells(args, cuda)
    counts = {}
    for name in {c["model"] or c["config"] for c in todo}:
        config = llama_config(name) if name in CONFIGS else _model_config(name)
        count = count_parameters(config)
        counts[name] = {"total": count.total, "embedding": count.embedding, "flop_parameters": count.flop_parameters,
                        "shapes_of": SHAPES_OF.get(name, name)}
        print(f"{name}: {count.total:,} parameters ({count.flop_parameters:,} without the input embedding)",
              file=sys.stderr)
    out = [measure_cell(cell, args.loops, args.repeats, cuda, counts[cell["model"] or cell["config"]]["total"])
           for cell in todo]
    out = [summarise(c, counts[c["model"] or c["config"]]["flop_parameters"], peak) if c["status"] == "measured"
           else c for c in out]
    show(out, counts, cuda, device, peak)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        from harness.record.environment import git_commit, utc_timestamp

        for cell in out:  # where this machine keeps its caches is not a measured figure
            cell.pop("cache_dir", None)
        command = [*sys.argv[:-1], args.output.name] if sys.argv[-1] == str(args.output) else sys.argv
        args.output.write_text(json.dumps({"command": command, "created_at": utc_timestamp(), "git": git_commit(),
                                           "device": device, "cuda": cuda,
                                           "peak": peak and vars(peak), "parameters": counts,
                                           "versions": _versions(), "cells": out}, indent=1) + "\n")
    return 0


def _model_config(name: str):
    from transformers import AutoConfig

    from harness.models.sources import resolve_model
    return AutoConfig.from_pretrained(resolve_model(name).path)


def _versions() -> dict[str, str]:
    import accelerate
    import peft
    import transformers

    return {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
            "accelerate": accelerate.__version__, "peft": peft.__version__, "cuda": str(torch.version.cuda)}


if __name__ == "__main__":
    sys.exit(main())
