"""Microbenchmarks of the hot paths (pytest-benchmark): tokenise-and-collate, one forward, scoring a batch.

Not part of the test run (pyproject's testpaths is tests/). Run them with:

    python -m pytest benchmarks/micro --benchmark-only

(add HARNESS_BENCH_MODEL=minilm for the real encoder; --benchmark-json FILE to keep the numbers).
"""

from __future__ import annotations

import pytest
import torch

from harness.encode import collate, encode
from harness.metrics import evaluate
from harness.models.load import load_task_model
from harness.tasks import kinds

BATCH = 32
MAX_LENGTH = 128


@pytest.fixture(scope="module")
def loaded(bench_model_path):
    torch.manual_seed(0)
    loaded = load_task_model(bench_model_path, kinds.TEXT_CLASSIFICATION, 2)
    loaded.model.eval()
    return loaded


def test_tokenise_and_collate(benchmark, loaded, bench_examples):
    batch = bench_examples[:BATCH]
    pad_id = loaded.tokenizer.pad_token_id

    def tokenise_and_collate():
        features = encode(batch, loaded.tokenizer, kinds.TEXT_CLASSIFICATION, MAX_LENGTH, loaded.is_decoder)
        return collate(features, pad_id, kinds.TEXT_CLASSIFICATION)

    tensors = benchmark(tokenise_and_collate)
    assert tensors["input_ids"].shape[0] == BATCH


@pytest.mark.parametrize("batch_size", [1, BATCH])
def test_one_forward(benchmark, loaded, bench_examples, batch_size):
    features = encode(bench_examples[:batch_size], loaded.tokenizer, kinds.TEXT_CLASSIFICATION, MAX_LENGTH,
                      loaded.is_decoder)
    tensors = collate(features, loaded.tokenizer.pad_token_id, kinds.TEXT_CLASSIFICATION)
    tensors.pop("labels")

    def forward():
        with torch.inference_mode():
            return loaded.model(**tensors).logits

    logits = benchmark(forward)
    assert logits.shape == (batch_size, 2)


@pytest.mark.parametrize("n_boot", [0, 1000])
def test_scoring_a_batch(benchmark, bench_examples, n_boot):
    references = [example.label for example in bench_examples]
    predictions = [(label + (i % 7 == 0)) % 2 for i, label in enumerate(references)]  # about 86% right

    report = benchmark(evaluate, ["accuracy", "f1"], predictions, references, n_boot=n_boot)
    assert 0.8 < report.values["accuracy"] < 0.9


def test_option_checks(benchmark):
    """Every declared range a `harness run` checks before it starts: its flags through click, the method's
    options and the spec's settings (the goal: far below 50 ms, not measurable against a run's start)."""
    from harness.cli.main import _register
    from harness.cli.run import run
    from harness.methods import get_method
    from harness.spec import RunSpec, check_bounds

    _register()
    argv = ["--task", "sst2", "--method", "lora", "--seed", "3", "--epochs", "4", "--lr", "1e-3", "--batch-size", "16",
            "--grad-accum", "2", "--warmup-ratio", "0.1", "--weight-decay", "0.01", "--patience", "2",
            "--train-limit", "2000", "--eval-limit", "500", "--max-length", "128", "--lora-r", "16",
            "--lora-alpha", "32", "--lora-dropout", "0.1", "--checkpoint-minutes", "5"]
    spec = RunSpec("minilm", "lora", "sst2", seed=3, training={"epochs": 4, "lr": 1e-3, "batch_size": 16,
                                                             "grad_accum": 2, "warmup_ratio": 0.1},
                   max_length=128, train_limit=2000, eval_limit=500)

    def check_everything():
        run.make_context("run", list(argv))
        get_method("lora").resolve_options({"r": "16", "alpha": 32, "dropout": 0.1})
        check_bounds(spec)

    benchmark(check_everything)
