"""Checkpoint and resume: a run killed mid-training and resumed ends exactly where an uninterrupted one does."""

from __future__ import annotations

import json

import pytest
import torch

from harness.cli.main import main
from harness.encode import encode
from harness.methods import get_method
from harness.methods.base import Method
from harness.models.load import load_task_model
from harness.tasks import kinds
from harness.tasks.example import Example
from harness.train.checkpoint import Checkpointer
from harness.train.loop import make_accelerator, train
from interrupt import ctrl_c_after_update
from prediction_rows import rows_text
from tiny_models import CORPUS

CONFIG = {"epochs": 3, "lr": 1e-3, "batch_size": 4, "grad_accum": 1, "warmup_ratio": 0.2, "weight_decay": 0.01,
          "patience": 5, "max_grad_norm": 1.0}


class Crash(Exception):
    pass


def _train(encoder_dir, config, method="full", checkpointer=None, resume=False, crash_at=None):
    torch.manual_seed(0)
    loaded = load_task_model(str(encoder_dir), kinds.TEXT_CLASSIFICATION, 2)
    examples = [Example(id=str(i), text=CORPUS[i % len(CORPUS)], label=i % 2) for i in range(18)]
    features = encode(examples, loaded.tokenizer, kinds.TEXT_CLASSIFICATION, 32, loaded.is_decoder)
    method_def = get_method(method)
    model = method_def.prepare(loaded.model, method_def.resolve_options({}), total_updates=30)

    def after_update(net, update):
        method_def.after_update(net, update)
        if update == crash_at:
            raise Crash

    def select(net):  # a score that depends on every trained weight, so epochs differ
        return float(sum(p.detach().double().sum() for p in net.parameters() if p.requires_grad))

    result = train(model, features, kind=kinds.TEXT_CLASSIFICATION, pad_id=loaded.tokenizer.pad_token_id,
                   config=config, seed=0, select=select, accelerator=make_accelerator("cpu", config["grad_accum"]),
                   after_update=after_update, show_progress=False, checkpointer=checkpointer, resume=resume,
                   method_state=(method_def.training_state, method_def.load_training_state))
    return result, {n: p.detach().clone() for n, p in model.named_parameters()}


@pytest.mark.parametrize("method, grad_accum, every, crash_at", [
    ("full", 1, 4, 9),     # last checkpoint at update 8, in the middle of epoch 2 (5 batches an epoch)
    ("full", 1, 5, 7),     # last checkpoint at update 5: the end of epoch 1
    ("full", 2, 2, 5),     # accumulation: checkpoints only after an update, never between two batches of one
    ("adalora", 1, 3, 10),  # the method's own state (importance scores) travels in the checkpoint
])
def test_a_resumed_run_ends_bit_identical_to_an_uninterrupted_one(encoder_dir, tmp_path, method, grad_accum, every,
                                                                   crash_at):
    config = {**CONFIG, "grad_accum": grad_accum}
    reference, reference_weights = _train(encoder_dir, config, method)

    checkpointer = Checkpointer(tmp_path / "run.checkpoint.pt", every_updates=every)
    with pytest.raises(Crash):
        _train(encoder_dir, config, method, checkpointer=checkpointer, crash_at=crash_at)
    assert checkpointer.path.is_file()
    resumed, resumed_weights = _train(encoder_dir, config, method, checkpointer=checkpointer, resume=True)

    assert resumed.resumed_from_update == (crash_at - 1) // every * every
    assert [(h["epoch"], h["train_loss"], h["selection_score"]) for h in resumed.history] == \
        [(h["epoch"], h["train_loss"], h["selection_score"]) for h in reference.history]
    assert (resumed.best_epoch, resumed.steps) == (reference.best_epoch, reference.steps)
    for name, weight in reference_weights.items():
        assert torch.equal(resumed_weights[name], weight), name


def test_run_resume_on_the_command_line_records_the_same_metrics(env, encoder_dir, monkeypatch):
    args = ["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--epochs", "2", "--batch-size", "4",
            "--quiet"]
    assert main([*args, "--results", str(env / "plain")]) == 0
    plain = json.loads(next((env / "plain" / "tiny-sentiment").glob("*.json")).read_text())

    undo = ctrl_c_after_update(monkeypatch, 3)
    resumable = [*args, "--results", str(env / "resumed"), "--checkpoint-every", "2"]
    assert main(resumable) == 130
    folder = env / "resumed" / "tiny-sentiment"
    assert not list(folder.glob("*.json")) and len(list(folder.glob("*.checkpoint.pt"))) == 1
    undo()
    assert main([*resumable, "--resume"]) == 0
    resumed = json.loads(next(folder.glob("*.json")).read_text())
    assert resumed["training"]["resumed_from_update"] == 2
    assert resumed["metrics"] == plain["metrics"]
    assert rows_text(folder / f"{resumed['run_id']}.predictions.jsonl.gz") == \
        rows_text(env / "plain" / "tiny-sentiment" / f"{plain['run_id']}.predictions.jsonl.gz")
    assert not list(folder.glob("*.checkpoint.pt"))  # removed once the record is written


def test_a_rerun_sweep_continues_the_checkpointed_run(env, encoder_dir, monkeypatch):
    grid = ["sweep", "--model", str(encoder_dir), "--methods", "full", "--task", "tiny-sentiment", "--epochs", "2",
            "--batch-size", "4", "--quiet", "--in-process", "--checkpoint-every", "2"]
    assert main([*grid, "--results", str(env / "plain")]) == 0
    real_after_update = Method.after_update

    def crash_after_three(self, model, update):
        real_after_update(self, model, update)
        if update == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(Method, "after_update", crash_after_three)
    assert main([*grid, "--results", str(env / "resumed")]) == 130
    monkeypatch.setattr(Method, "after_update", real_after_update)
    assert main([*grid, "--results", str(env / "resumed")]) == 0
    plain, resumed = (json.loads(next((env / name / "tiny-sentiment").glob("*.json")).read_text())
                      for name in ("plain", "resumed"))
    assert resumed["training"]["resumed_from_update"] == 2
    assert resumed["metrics"] == plain["metrics"]
