"""Zero-shot parity and speed against lm-evaluation-harness, on the same model, prompt and examples.

    pip install lm-eval==0.4.13      # part of the `test` extra, so ./setup.sh installs it
    python benchmarks/lmeval_parity.py --data-dir ../shared/data [--model smollm2-135m] [--task sst2]
           [--prompt NAME] [--format cue=a+case=upper] [--k 8] [--limit N] [--batch-sizes 1,8,32,64,auto]
           [--output parity.json]

The model is loaded once (float32), warmed up, and handed to both. lm-eval runs at every
batch size asked for; the harness runs with its automatic batching. Both are timed end to end
(prompt rendering, tokenisation, scoring and metrics: the harness's `run_prompted` against
lm-eval's `simple_evaluate`), `--repeats` times, interleaved so that a slow spell of a shared
machine hits both, and each side's best repeat counts. Printed: the largest difference
between any example's choice log-likelihood in the two, both accuracies, and examples per
second of each (lm-eval at its best batch size). With `--k`, both get the same k
demonstrations (the harness's seeded draw, handed to lm-eval in order through its first_n
sampler). `--format` scores one format variant of the prompt (a name as `harness run
--prompt-formats` records it, e.g. cue=a+case=upper): lm-eval gets the variant's text. Exit
status 1 when they disagree.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from harness.models.sources import resolve_model
from harness.pipeline.prompted import run_prompted
from harness.prompt_spread.formats import AS_WRITTEN
from harness.prompt_spread.registry import apply_format
from harness.prompting.demonstrations import draw_demonstrations
from harness.prompting.model import load_prompt_model
from harness.tasks import load_task, prepare_data
from harness.tasks.prompts import find_prompt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from lmeval_reference import lmeval_loglikelihoods  # noqa: E402  (the reference side lives with the parity test)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--task", default="sst2")
    parser.add_argument("--prompt", default=None)
    parser.add_argument("--format", default=AS_WRITTEN, help="a format variant's name, e.g. cue=a+case=upper")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="score a fixed sample of this many examples")
    parser.add_argument("--k", type=int, default=0, help="demonstrations (few-shot), drawn with seed 0")
    parser.add_argument("--batch-sizes", default="4,8,16,32")
    parser.add_argument("--repeats", type=int, default=2, help="timed rounds, interleaved; the best one counts")
    parser.add_argument("--tolerance", type=float, default=1e-3)
    parser.add_argument("--output", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()

    task = load_task(args.task)
    prompt = apply_format(args.format, find_prompt(task.prompts, args.prompt, task.name))
    task = dataclasses.replace(task, prompts=[prompt])  # the harness side scores the variant as the task's prompt
    data = prepare_data(task, args.data_dir, seed=0, eval_limit=args.limit)
    split = task.headline_split
    examples = data.evaluation[split]
    loaded = load_prompt_model(resolve_model(args.model).path, "loglikelihood")
    print(f"{task.name} {split}: {len(examples)} examples, prompt '{prompt.name}' format {args.format} "
          f"({prompt.hash}), {args.k} "
          f"demonstrations, {args.model}")

    only_split = data.__class__(train=data.train, selection=[], evaluation={split: examples})
    _warm_up(loaded)
    demos = draw_demonstrations(data.train, args.k, 0)
    harness_seconds, lm_eval_runs = [], {size: [] for size in args.batch_sizes.split(",")}
    with tempfile.TemporaryDirectory() as workdir:
        for round_ in range(args.repeats):
            started = time.perf_counter()
            ours = run_prompted(task, only_split, loaded, {"prompt": prompt.name, "k": args.k}, seed=0)
            harness_seconds.append(time.perf_counter() - started)
            for size in lm_eval_runs:
                lm_eval_runs[size].append(lmeval_loglikelihoods(
                    loaded.model, loaded.tokenizer, prompt, examples, batch_size=size if size == "auto" else int(size),
                    workdir=Path(workdir) / f"{size}-{round_}", label_names=task.label_names, demonstrations=demos))
            print(f"round {round_ + 1}: harness {len(examples) / harness_seconds[-1]:.2f} ex/s; lm-eval " + ", ".join(
                f"b{size} {len(examples) / runs[-1].seconds:.2f}" for size, runs in lm_eval_runs.items()))
    evaluated, prompting = ours
    assert [d.id for d in demos] == prompting["demonstration_ids"]
    ours_split = prompting["splits"][split]
    ours_ll = np.array([row["loglikelihood_sum"] for row in evaluated.rows])
    ours_accuracy = ours_split["uncalibrated_metrics"]["sum"]["accuracy"]
    ours_speed = len(examples) / min(harness_seconds)
    print(f"harness: accuracy {ours_accuracy:.4f}, {ours_speed:.2f} ex/s (best of {args.repeats}; "
          f"{ours_split['examples_per_second']:.2f} ex/s counting only the scoring itself)")

    figures = {"task": task.name, "split": split, "examples": len(examples), "model": args.model, "k": args.k,
               "prompt": prompt.name, "format": args.format, "prompt_hash": prompt.hash, "repeats": args.repeats,
               "harness": {"accuracy": ours_accuracy, "examples_per_second": ours_speed,
                           "examples_per_second_each_round": [len(examples) / s for s in harness_seconds]},
               "lm_eval": {}}
    agree = True
    for size, runs in lm_eval_runs.items():
        reference = runs[0]
        difference = float(np.abs(ours_ll - np.array(reference.loglikelihoods)).max())
        speed = len(examples) / min(run.seconds for run in runs)
        same = difference <= args.tolerance and reference.accuracy == ours_accuracy
        agree &= same
        print(f"lm-eval batch {size}: accuracy {reference.accuracy:.4f}, {speed:.2f} ex/s (best of {len(runs)}); "
              f"largest log-likelihood difference {difference:.2e}{'' if same else '  <-- DISAGREES'}")
        figures["lm_eval"][size] = {"accuracy": reference.accuracy, "examples_per_second": speed,
                                    "examples_per_second_each_round": [len(examples) / run.seconds for run in runs],
                                    "max_abs_loglikelihood_difference": difference}
    best = max(figures["lm_eval"].items(), key=lambda item: item[1]["examples_per_second"])
    ratio = ours_speed / best[1]["examples_per_second"]
    figures["speedup_vs_best_lm_eval"] = ratio
    print(f"speed: harness {ours_speed:.2f} ex/s vs lm-eval's best (batch {best[0]}) "
          f"{best[1]['examples_per_second']:.2f} ex/s: {ratio:.2f}x")
    print("parity: " + ("every log-likelihood within tolerance, accuracies identical" if agree else "FAILED"))
    if args.output:
        args.output.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if agree else 1


def _warm_up(loaded) -> None:
    """One small forward, so thread pools and kernel caches are not charged to whoever runs first."""
    ids = loaded.tokenizer("warm up", return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        loaded.model(input_ids=ids)


if __name__ == "__main__":
    sys.exit(main())
