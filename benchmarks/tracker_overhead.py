"""Tracker overhead: the same MiniLM SST-2 fine-tuning run without trackers and logging to TensorBoard, MLflow
and W&B (offline) at once, alternated in one process; prints each run's seconds and the median ratio.

    python benchmarks/tracker_overhead.py --data-dir ../shared/data [--train-limit 2000] [--repeats 3]
    python benchmarks/tracker_overhead.py --data-dir ../shared/data --train-limit 64 --eval-limit 64 --repeats 1

Both runs have the same spec (seed, batches, one epoch): trackers are not part of it, so they train on the
same batches and record the same metrics (checked). A run is timed whole (`execute`: model load, training,
evaluation, record), so each tracker run's start, per-step logging, final metrics, artifact and close are
all inside it. What a process pays once (importing the tracker packages, W&B's background service) is
paid by an untimed warm-up run first. W&B runs offline (WANDB_MODE=offline unless set); MLflow writes a
file store; everything goes to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from harness.pipeline import execute, plan
from harness.quiet import quiet_libraries
from harness.track import tracker_request

ALL = ["tensorboard,mlflow,wandb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--task", default="sst2")
    parser.add_argument("--train-limit", type=int, default=2000)
    parser.add_argument("--eval-limit", type=int, default=None, help="default: the whole dev split")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="pairs of runs (without, with), alternated")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("WANDB_MODE", "offline")
    os.environ.setdefault("WANDB_SILENT", "true")
    quiet_libraries()

    spec, task = plan(args.model, "full", args.task, seed=args.seed, train_limit=args.train_limit,
                      eval_limit=args.eval_limit, training={"epochs": 1, "batch_size": args.batch_size})
    with tempfile.TemporaryDirectory(prefix="tracker-overhead-") as scratch:
        root = Path(scratch)
        trackers = tracker_request(ALL, root / "logs")

        def timed(with_trackers: bool, results: str) -> tuple[float, dict]:
            start = time.perf_counter()
            outcome = execute(spec, task, output=root / results, force=True, data_dir=args.data_dir,
                              device="cpu", show_progress=False, trackers=trackers if with_trackers else None)
            return time.perf_counter() - start, outcome.record

        warm_spec, _ = plan(args.model, "full", args.task, seed=args.seed, train_limit=16, eval_limit=16,
                            training={"epochs": 1, "batch_size": args.batch_size})
        execute(warm_spec, task, output=root / "warm-up", data_dir=args.data_dir, device="cpu", show_progress=False,
                trackers=trackers)  # imports and W&B's service, paid once per process
        plain, tracked, ratios = [], [], []  # records, and seconds per side
        plain_seconds, tracked_seconds = [], []
        for repeat in range(args.repeats):
            order = [False, True] if repeat % 2 == 0 else [True, False]  # neither side always goes first
            seconds = {}
            for with_trackers in order:
                seconds[with_trackers], record = timed(with_trackers, "tracked" if with_trackers else "plain")
                train = record["training"]["train_seconds"]
                print(f"repeat {repeat}: {'all three trackers' if with_trackers else 'no trackers       '} "
                      f"{seconds[with_trackers]:7.2f} s whole run, {train:7.2f} s training, "
                      f"{record['headline']['metric']} {record['headline']['value']:.4f}", flush=True)
                (tracked if with_trackers else plain).append(record)
                (tracked_seconds if with_trackers else plain_seconds).append(seconds[with_trackers])
            ratios.append(seconds[True] / seconds[False])
        same = all(a["metrics"] == b["metrics"] for a, b in zip(plain, tracked))
        steps = plain[0]["training"]["steps"]
        print(f"{args.model} {args.task}, {args.train_limit} training examples, {steps} steps, {args.repeats} pairs")
        print(f"median whole-run seconds: no trackers {statistics.median(plain_seconds):.2f}, "
              f"all three {statistics.median(tracked_seconds):.2f}")
        print(f"median ratio (with / without): {statistics.median(ratios):.4f} "
              f"({100 * (statistics.median(ratios) - 1):+.2f}%); same metrics with and without: {same}")


if __name__ == "__main__":
    main()
