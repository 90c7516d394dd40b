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
