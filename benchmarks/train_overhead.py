"""Harness overhead: training examples per second of `harness.train.loop.train` against a
plain hand-written PyTorch loop over the same model, data, batch size and max length.

    python benchmarks/train_overhead.py --data-dir ../shared/data [--examples 2000] [--repeats 3]

Both loops do the same work per step (forward, backward, clip, AdamW, schedule); the
harness adds accelerate, the progress bar and its bookkeeping. Each repeat runs the two
loops one after the other from the same initial weights; medians are printed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from transformers import get_linear_schedule_with_warmup

from harness.encode import collate, encode
from harness.models.load import load_task_model
from harness.models.sources import resolve_model
from harness.tasks import load_task, prepare_data
from harness.train.batching import LengthGroupedBatches
from harness.train.loop import make_accelerator, train


def plain_loop(model, features, pad_id, kind, batch_size, lr, seed) -> float:
    # The same batches the harness trains on (seeded, grouped by length), built by hand.
    generator = torch.Generator().manual_seed(seed)
    sampler = LengthGroupedBatches([len(f) for f in features], batch_size, generator)
    loader = DataLoader(features, batch_sampler=sampler, collate_fn=partial(collate, pad_id=pad_id, kind=kind))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(0.06 * len(loader)), len(loader))
    model.train()
    start, seen = time.perf_counter(), 0
    for batch in loader:
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        seen += batch["input_ids"].shape[0]
    return seen / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--task", default="sst2")
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    task = load_task(args.task)
    data = prepare_data(task, args.data_dir, seed=0, train_limit=args.examples, eval_limit=None)
    source = resolve_model(args.model)
    loaded = load_task_model(source.path, task.kind, task.num_labels)
    initial = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    features = encode(data.train, loaded.tokenizer, task.kind, task.max_length, loaded.is_decoder)
    pad_id = loaded.tokenizer.pad_token_id
    config = {"batch_size": args.batch_size, "lr": 5e-5, "weight_decay": 0.01, "grad_accum": 1, "epochs": 1,
              "warmup_ratio": 0.06, "max_grad_norm": 1.0, "patience": 1}

    plain, harness = [], []
    def run_plain(repeat):
        loaded.model.load_state_dict(initial)
        plain.append(plain_loop(loaded.model, features, pad_id, task.kind, args.batch_size, 5e-5, seed=repeat))

    def run_harness(repeat):
        loaded.model.load_state_dict(initial)
        result = train(loaded.model, features, kind=task.kind, pad_id=pad_id, config=config, seed=repeat,
                       select=lambda _: 0.0, accelerator=make_accelerator("cpu", 1), show_progress=True)
        harness.append(result.examples_per_second)

    run_plain(-1)  # warm-up: first-touch allocations and kernel selection, not timed
    plain.clear()
    for repeat in range(args.repeats):
        # Alternate which loop goes first, so drift in machine load favours neither.
        for runner in ((run_plain, run_harness) if repeat % 2 == 0 else (run_harness, run_plain)):
            runner(repeat)
        print(f"repeat {repeat}: plain {plain[-1]:.1f} ex/s, harness {harness[-1]:.1f} ex/s", flush=True)
    p, h = statistics.median(plain), statistics.median(harness)
    print(f"{args.model} on {args.task}, {len(features)} examples, batch {args.batch_size}, max length "
          f"{task.max_length}, {torch.get_num_threads()} threads")
    print(f"median plain loop: {p:.1f} ex/s; median harness loop: {h:.1f} ex/s; harness/plain = {h / p:.3f} "
          f"({100 * (h / p - 1):+.1f}%)")


if __name__ == "__main__":
    main()
