"""The weight copies the training loop keeps: independent of training, on CPU held in a mapped file (not
in the memory training needs) and left nowhere on disk; after running out of memory mid-epoch, training
starts over from them exactly; a resumed checkpoint's best state is kept the same way."""

from __future__ import annotations

import os
import tempfile
from types import SimpleNamespace

import pytest
import torch

from harness.encode import encode
from harness.errors import RunFailed
from harness.methods import get_method
from harness.models.load import load_task_model
from harness.tasks import kinds
from harness.tasks.example import Example
from harness.train.attempt import Attempt
from harness.train.checkpoint import Checkpointer
from harness.train.kept import kept_copy, spills_to_disk
from harness.train.loop import make_accelerator, train
from tiny_models import CORPUS

CONFIG = {"epochs": 1, "lr": 1e-3, "batch_size": 8, "grad_accum": 1, "warmup_ratio": 0.0, "weight_decay": 0.0,
          "patience": 1, "max_grad_norm": 1.0}


def _mapped_from_an_unlinked_file(tensor: torch.Tensor) -> bool:
    """Whether the tensor's memory is a mapping of a kept-weights file that is already unlinked (Linux)."""
    address = tensor.data_ptr()
    with open("/proc/self/maps") as maps:
        for line in maps:
            start, end = (int(part, 16) for part in line.split()[0].split("-"))
            if start <= address < end:
                return "harness-kept-" in line and line.rstrip().endswith("(deleted)")
    return False


def _anonymous_rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("RssAnon:"))
    return int(line.split()[1]) / 1024


def test_copy_equals_the_weights_and_does_not_follow_training(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Linear(8, 2))
    model[0].requires_grad_(False)
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    copy = kept_copy(model, make_accelerator("cpu", 1))
    assert set(copy) == {"1.weight", "1.bias"}  # trainable tensors only
    with torch.no_grad():
        model[1].weight.add_(1.0)
    assert torch.equal(copy["1.weight"], before["1.weight"]) and torch.equal(copy["1.bias"], before["1.bias"])
    assert list(tmp_path.iterdir()) == []  # the file was unlinked once mapped


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads Linux's resident memory")
def test_copy_on_cpu_takes_no_anonymous_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    model = torch.nn.Linear(4096, 8192)  # 128 MiB of float32
    rss_before = _anonymous_rss_mb()
    copy = kept_copy(model, make_accelerator("cpu", 1))
    assert _anonymous_rss_mb() - rss_before < 32  # a copy in memory would add 128 MiB
    assert _mapped_from_an_unlinked_file(copy["weight"])
    assert torch.equal(copy["weight"], model.weight.detach())  # reading it back maps the pages in


def test_a_full_temporary_disk_is_a_one_line_run_failure(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def disk_full(*_args, **_kwargs):
        raise RuntimeError("[enforce fail at inline_container.cc:664] . PytorchStreamWriter failed writing file "
                           "data/0: file write failed")
    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(RunFailed, match=r"could not keep a copy of the trainable weights in .*file write failed\); "
                                        "free space there or set TMPDIR"):
        kept_copy(torch.nn.Linear(4, 4), make_accelerator("cpu", 1))
    assert list(tmp_path.iterdir()) == []


def test_copies_stay_in_memory_when_training_on_an_accelerator():
    fake_cuda = SimpleNamespace(device=torch.device("cuda", 0), distributed_type="NO", state=SimpleNamespace())
    assert not spills_to_disk(fake_cuda)
    assert spills_to_disk(make_accelerator("cpu", 1)) == (os.name == "posix")


class _RunsOutOfMemoryOnThirdBatch(torch.nn.Module):
    """Trains two batches of 8, then raises what CUDA raises; notes the weights the first smaller batch meets."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner, self.large_batches, self.restarted_from = inner, 0, None

    def forward(self, **batch):
        if batch["input_ids"].shape[0] > 4:
            self.large_batches += 1
            if self.large_batches == 3:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        elif self.restarted_from is None:
            self.restarted_from = {name: tensor.clone() for name, tensor in self.inner.state_dict().items()}
        return self.inner(**batch)


def test_out_of_memory_after_updates_starts_over_from_the_untrained_weights(encoder_dir):
    loaded = load_task_model(str(encoder_dir), kinds.TEXT_CLASSIFICATION, 2)
    examples = [Example(id=str(i), text=CORPUS[i % len(CORPUS)], label=i % 2) for i in range(32)]
    features = encode(examples, loaded.tokenizer, kinds.TEXT_CLASSIFICATION, 32, loaded.is_decoder)
    model = _RunsOutOfMemoryOnThirdBatch(get_method("full").prepare(loaded.model, {}, total_updates=1))
    untrained = {name: tensor.clone() for name, tensor in model.inner.state_dict().items()}
    result = train(model, features, kind=kinds.TEXT_CLASSIFICATION, pad_id=loaded.tokenizer.pad_token_id,
                   config=CONFIG, seed=0, select=lambda _: 0.0, accelerator=make_accelerator("cpu", 1),
                   show_progress=False)
    assert (result.batch_size, result.grad_accum, model.large_batches) == (4, 2, 3)  # two updates, then the failure
    for name, tensor in untrained.items():
        assert torch.equal(model.restarted_from[name], tensor), name
    assert not torch.equal(model.inner.state_dict()["head.weight"], untrained["head.weight"])  # and then trained


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="reads Linux's memory mappings")
def test_a_resumed_attempt_maps_the_checkpoints_best_state_and_lets_its_weights_go(encoder_dir, tmp_path,
                                                                                   monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    loaded = load_task_model(str(encoder_dir), kinds.TEXT_CLASSIFICATION, 2)
    examples = [Example(id=str(i), text=CORPUS[i % len(CORPUS)], label=i % 2) for i in range(8)]
    features = encode(examples, loaded.tokenizer, kinds.TEXT_CLASSIFICATION, 32, loaded.is_decoder)
    model = get_method("full").prepare(loaded.model, {}, total_updates=1)
    checkpointer = Checkpointer(tmp_path / "run.checkpoint.pt")
    attempt = Attempt.prepare(model, features, kind=kinds.TEXT_CLASSIFICATION, pad_id=loaded.tokenizer.pad_token_id,
                              config=CONFIG, seed=0, accelerator=make_accelerator("cpu", 1), checkpointer=checkpointer,
                              method_state=(lambda _: {}, lambda _model, _state: None))
    attempt.checkpoint(attempt.generator.get_state())
    saved = checkpointer.load()
    attempt.restore(saved)
    assert "model" not in saved  # loaded into the model, then let go
    assert attempt.at.best_state and all(_mapped_from_an_unlinked_file(t) for t in attempt.at.best_state.values())
