"""Time to perturb a whole evaluation split with every perturbation of its language.

    python benchmarks/perturb_speed.py --data-dir ../shared/data [--task sst2] [--split validation]

Prints, per perturbation, the seconds to perturb the split (best of --repeats, first run
included in the first repeat: tables and indexes load lazily), then the total of the best
times and the wall time of the first pass, which is what a user waits for once.
"""

from __future__ import annotations

import argparse
import time

from harness.perturb import guess_language, perturb_examples, resolve
from harness.tasks import load_split, load_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="benchmark data folder (else HARNESS_DATA_DIR)")
    parser.add_argument("--task", default="sst2")
    parser.add_argument("--split", default="validation")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    task = load_task(args.task)
    examples = load_split(task, args.split, args.data_dir)
    train = load_split(task, task.train_split, args.data_dir) if task.kind == "token_classification" else None
    language = guess_language(examples)
    perturbations = resolve("all", kind=task.kind, language=language)
    print(f"{task.name} {args.split}: {len(examples)} examples, {len(perturbations)} perturbations ({language})")

    best: dict[str, float] = {}
    first_pass = 0.0
    for repeat in range(args.repeats):
        for perturbation in perturbations:
            start = time.perf_counter()
            perturb_examples(examples, perturbation, seed=args.seed, labels=task.labels, train=train)
            elapsed = time.perf_counter() - start
            best[perturbation.name] = min(elapsed, best.get(perturbation.name, elapsed))
            first_pass += elapsed if repeat == 0 else 0.0
    for name, seconds in best.items():
        print(f"  {name:22s} {seconds * 1000:8.1f} ms  ({seconds / len(examples) * 1e6:6.1f} us/example)")
    print(f"total (best of {args.repeats}): {sum(best.values()):.3f} s; first pass, cold: {first_pass:.3f} s")


if __name__ == "__main__":
    main()
