"""What distillation adds to a training epoch once the teacher's outputs are cached.

    python benchmarks/distill_cost.py [--teacher d1da42b801cc870b] [--results results] [--repeats 3]

Trains the same student (MiniLM cut to --student-layers layers, full fine-tuning, one epoch on
--train-limit SST-2 examples) with and without the teacher, alternating, --repeats times each, and
prints each epoch's seconds (the training steps only, as the record's history has them), the
medians and their ratio. The first distilled run fills the teacher's cache if it is empty (its
cost is printed apart); every later one reads it. Records go to scratch folders; the teacher is
read from --results (it needs its saved model there: `harness run ... --save-model`).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from harness.distill.settings import DistillRequest
from harness.pipeline import execute, plan


def epoch_seconds(results: Path, teacher: str | None, train_limit: int, layers: int) -> tuple[float, dict]:
    spec, task = plan("minilm", "full", "sst2", training={"epochs": 1}, train_limit=train_limit,
                      student_layers=layers, results=results,
                      distill=DistillRequest(teacher=teacher) if teacher else None)
    with tempfile.TemporaryDirectory(prefix="distill-cost-") as scratch:
        record = execute(spec, task, output=scratch, force=True, show_progress=False,
                         teacher_results=results).record
    return record["training"]["history"][0]["seconds"], record.get("distill") or {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teacher", default="d1da42b801cc870b")
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--train-limit", type=int, default=2000)
    parser.add_argument("--student-layers", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    _, first = epoch_seconds(args.results, args.teacher, args.train_limit, args.student_layers)
    outputs = first.get("teacher_outputs", {})
    print(f"teacher outputs: {outputs.get('computed', 0)} computed in {outputs.get('seconds', 0):.1f} s, "
          f"{outputs.get('cached', 0)} read from the cache")
    plain, taught = [], []
    for repeat in range(args.repeats):
        plain.append(epoch_seconds(args.results, None, args.train_limit, args.student_layers)[0])
        seconds, facts = epoch_seconds(args.results, args.teacher, args.train_limit, args.student_layers)
        taught.append(seconds)
        print(f"repeat {repeat + 1}: plain epoch {plain[-1]:.2f} s, distilled epoch {taught[-1]:.2f} s "
              f"(teacher outputs cached: {facts['teacher_outputs']['cached']})")
    ratio = statistics.median(taught) / statistics.median(plain)
    print(f"median epoch: plain {statistics.median(plain):.2f} s, distilled {statistics.median(taught):.2f} s, "
          f"ratio {ratio:.3f} ({args.train_limit} examples, {args.student_layers}-layer MiniLM student)")


if __name__ == "__main__":
    main()
