"""What a training remedy costs per step against no remedy, on the same batches.

    python benchmarks/remedy_cost.py [--train-limit 640] [--repeats 3] [--pgd-steps 3]

Trains MiniLM (full fine-tuning, one epoch of --train-limit SST-2 examples, batch 32, seed 0) with
each remedy in turn, alternating over --repeats rounds so that a slow spell of the machine hits
every remedy alike. Every remedy sees the same batches: the same seed draws the same batch order,
and augmentation groups batches by the clean lengths. A step's time is the epoch's (as the record's
history has it: the training steps and, for augmentation, drawing the epoch's perturbed examples)
over its steps. Prints each round, the median seconds per step and the ratio to no remedy, against
the goals: FGM at most 2.2x, PGD with k steps at most (k + 1.2)x, augmentation at most 1.1x.
Records go to scratch folders. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile

from harness.pipeline import execute, plan
from harness.remedy.settings import RemedyRequest


def seconds_per_step(request: RemedyRequest, train_limit: int) -> float:
    spec, task = plan("minilm", "full", "sst2", training={"epochs": 1}, train_limit=train_limit, eval_limit=32,
                      remedy=request)
    with tempfile.TemporaryDirectory(prefix="remedy-cost-") as scratch:
        record = execute(spec, task, output=scratch, force=True, show_progress=False).record
    return record["training"]["history"][0]["seconds"] / record["training"]["steps"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-limit", type=int, default=640)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pgd-steps", type=int, default=3)
    args = parser.parse_args()
    k = args.pgd_steps
    remedies = {
        "none": (RemedyRequest(), None),
        "augment typos": (RemedyRequest(augment="typos"), 1.1),
        "fgm": (RemedyRequest(adversarial="fgm"), 2.2),
        f"pgd (k={k})": (RemedyRequest(adversarial="pgd", adv_steps=k), k + 1.2),
        f"freelb (k={k})": (RemedyRequest(adversarial="freelb", adv_steps=k), None),
    }
    seconds_per_step(RemedyRequest(), args.train_limit)  # warm-up: first loads and allocations, not counted
    times: dict[str, list[float]] = {name: [] for name in remedies}
    for repeat in range(args.repeats):
        for name, (request, _) in remedies.items():
            times[name].append(seconds_per_step(request, args.train_limit))
        print(f"round {repeat + 1}: " + ", ".join(f"{name} {t[-1]:.3f} s" for name, t in times.items()), flush=True)
    base = statistics.median(times["none"])
    print(f"\nseconds per step, median of {args.repeats} (MiniLM full, batch 32, {args.train_limit} SST-2 examples):")
    for name, (_, goal) in remedies.items():
        ratio = statistics.median(times[name]) / base
        verdict = "" if goal is None else f"  goal <= {goal:.1f}x: {'met' if ratio <= goal else 'NOT met'}"
        print(f"  {name:<16} {statistics.median(times[name]):.3f} s  {ratio:.2f}x{verdict}")


if __name__ == "__main__":
    main()
