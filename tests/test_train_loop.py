"""The training loop: early stopping, best epoch restored, seeded batches, NaN guard."""

from __future__ import annotations

import pytest
import torch

from harness.encode import encode
from harness.errors import RunFailed
from harness.methods import get_method
from harness.models.load import load_task_model
from harness.tasks import kinds
from harness.tasks.example import Example
from harness.train.batching import LengthGroupedBatches
from harness.train.loop import make_accelerator, train
from tiny_models import CORPUS

CONFIG = {"epochs": 4, "lr": 1e-3, "batch_size": 4, "grad_accum": 1, "warmup_ratio": 0.0, "weight_decay": 0.0,
          "patience": 1, "max_grad_norm": 1.0}


def _setup(model_dir):
    loaded = load_task_model(str(model_dir), kinds.TEXT_CLASSIFICATION, 2)
    examples = [Example(id=str(i), text=CORPUS[i % len(CORPUS)], label=i % 2) for i in range(16)]
    features = encode(examples, loaded.tokenizer, kinds.TEXT_CLASSIFICATION, 32, loaded.is_decoder)
    return loaded, get_method("full").prepare(loaded.model, {}, total_updates=1), features


def test_early_stopping_restores_the_best_epoch(encoder_dir):
    loaded, model, features = _setup(encoder_dir)
    scores = iter([0.5, 0.9, 0.7, 0.6])
    snapshots = []

    def select(net):
        snapshots.append({n: p.detach().clone() for n, p in net.named_parameters()})
        return next(scores)

    result = train(model, features, kind=kinds.TEXT_CLASSIFICATION, pad_id=loaded.tokenizer.pad_token_id,
                   config=CONFIG, seed=0, select=select, accelerator=make_accelerator("cpu", 1), show_progress=False)
    assert (result.best_epoch, result.epochs_run, result.stopped_early) == (2, 3, True)
    for name, parameter in model.named_parameters():
        assert torch.equal(parameter.detach(), snapshots[1][name])


def test_gradient_accumulation_takes_fewer_optimizer_steps(encoder_dir):
    loaded, model, features = _setup(encoder_dir)
    config = {**CONFIG, "epochs": 1, "grad_accum": 2}
    result = train(model, features, kind=kinds.TEXT_CLASSIFICATION, pad_id=loaded.tokenizer.pad_token_id,
                   config=config, seed=0, select=lambda _: 0.0, accelerator=make_accelerator("cpu", 2),
                   show_progress=False)
    assert result.steps == 4  # batches seen; the optimizer stepped on every second one


def test_diverging_loss_names_the_step(encoder_dir):
    loaded, model, features = _setup(encoder_dir)
    with torch.no_grad():
        model.head.weight.fill_(float("nan"))
    with pytest.raises(RunFailed, match=r"step 1 \(epoch 1, batch 0\)"):
        train(model, features, kind=kinds.TEXT_CLASSIFICATION, pad_id=loaded.tokenizer.pad_token_id,
              config=CONFIG, seed=0, select=lambda _: 0.0, accelerator=make_accelerator("cpu", 1),
              show_progress=False)


def test_length_grouped_batches_are_seeded_and_cover_everything():
    lengths = [5, 40, 12, 3, 33, 18, 7, 25, 9, 30] * 3

    def batches(seed):
        return list(LengthGroupedBatches(lengths, 4, torch.Generator().manual_seed(seed), group=2))

    first = batches(0)
    assert first == batches(0) and first != batches(1)
    assert sorted(i for batch in first for i in batch) == list(range(len(lengths)))
    assert all(len(batch) <= 4 for batch in first)


class _NeedsSmallBatches(torch.nn.Module):
    """Raises what CUDA raises when a batch is larger than `fits`."""

    def __init__(self, inner: torch.nn.Module, fits: int):
        super().__init__()
        self.inner, self.fits = inner, fits

    def forward(self, **batch):
        if batch["input_ids"].shape[0] > self.fits:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return self.inner(**batch)


def test_out_of_memory_halves_the_batch_and_keeps_the_effective_batch(encoder_dir, capsys):
    loaded, model, features = _setup(encoder_dir)
    config = {**CONFIG, "epochs": 1, "batch_size": 8, "grad_accum": 1}
    result = train(_NeedsSmallBatches(model, fits=2), features, kind=kinds.TEXT_CLASSIFICATION,
                   pad_id=loaded.tokenizer.pad_token_id, config=config, seed=0, select=lambda _: 0.0,
                   accelerator=make_accelerator("cpu", 1), show_progress=False)
    assert (result.batch_size, result.grad_accum, result.steps) == (2, 4, 8)
    assert len(result.notes) == 2 and "batch size 2 and 4x gradient accumulation (effective batch 8" in result.notes[1]
    assert "out of memory at batch size 8" in capsys.readouterr().err


def test_out_of_memory_at_batch_size_one_is_a_clear_failure(encoder_dir):
    loaded, model, features = _setup(encoder_dir)
    with pytest.raises(RunFailed, match="even at batch size 1"):
        train(_NeedsSmallBatches(model, fits=0), features, kind=kinds.TEXT_CLASSIFICATION,
              pad_id=loaded.tokenizer.pad_token_id, config={**CONFIG, "batch_size": 4}, seed=0,
              select=lambda _: 0.0, accelerator=make_accelerator("cpu", 1), show_progress=False)
