"""--init-seed: members of a weight soup share their initial weights and training sample, and differ in the rest."""

from __future__ import annotations

import json

import pytest
import torch

from harness.cli.main import main
from harness.pipeline import execute, plan
from harness.pipeline import fine_tune as fine_tune_stage


class _Captured(Exception):
    pass


def _initial_state(monkeypatch, env, encoder_dir, **settings) -> tuple[dict[str, torch.Tensor], list[str]]:
    """The trainable weights and training example ids a run starts training with."""
    seen = {}

    def capture(model, features, **kwargs):
        seen["state"] = {k: v.detach().clone() for k, v in model.named_parameters() if v.requires_grad}
        raise _Captured

    monkeypatch.setattr(fine_tune_stage, "train", capture)
    original_load = fine_tune_stage.build_model

    def build(spec, task, data, source, method):
        seen["train_ids"] = [example.id for example in data.train]
        return original_load(spec, task, data, source, method)

    monkeypatch.setattr(fine_tune_stage, "build_model", build)
    spec, task = plan(str(encoder_dir), "lora", "tiny-sentiment", train_limit=12, **settings)
    with pytest.raises(_Captured):
        execute(spec, task, output=env / "results", show_progress=False)
    return seen["state"], seen["train_ids"]


def test_shared_init_seed_gives_the_same_start_whatever_the_seed(monkeypatch, env, encoder_dir):
    first, first_ids = _initial_state(monkeypatch, env, encoder_dir, seed=0, init_seed=7)
    second, second_ids = _initial_state(monkeypatch, env, encoder_dir, seed=1, init_seed=7)
    assert first_ids == second_ids
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def test_without_init_seed_the_seed_decides_the_start(monkeypatch, env, encoder_dir):
    first, first_ids = _initial_state(monkeypatch, env, encoder_dir, seed=0)
    second, second_ids = _initial_state(monkeypatch, env, encoder_dir, seed=1)
    assert first_ids != second_ids
    assert any(not torch.equal(first[k], second[k]) for k in first)


def test_init_seed_is_in_the_spec_and_the_run_id_only_when_given(env, encoder_dir):
    plain, task = plan(str(encoder_dir), "full", "tiny-sentiment")
    shared, _ = plan(str(encoder_dir), "full", "tiny-sentiment", init_seed=0)
    assert "init_seed" not in plain.to_dict() and shared.to_dict()["init_seed"] == 0
    assert plain.run_id(task.hash) != shared.run_id(task.hash)


def test_runs_sharing_init_seed_train_to_different_weights(env, encoder_dir):
    for seed in ("0", "1"):
        assert main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--init-seed", "3", "--seed",
                     seed, "--epochs", "1", "--results", str(env / "results"), "--quiet"]) == 0
    records = [json.loads(p.read_text()) for p in (env / "results" / "tiny-sentiment").glob("*.json")]
    assert sorted(r["spec"]["seed"] for r in records) == [0, 1] and {r["spec"]["init_seed"] for r in records} == {3}


def test_init_seed_refused_for_prompting(env, causal_lm_dir, capsys):
    assert main(["run", "--model", str(causal_lm_dir), "--method", "zero-shot", "--task", "tiny-sentiment",
                 "--init-seed", "1", "--results", str(env / "results"), "--quiet"]) == 2
    assert "--init-seed does not apply" in capsys.readouterr().err
