"""--student-layers: a model cut to N of its layers keeps those layers' pretrained weights, every k-th from the first."""

from __future__ import annotations

import copy
import hashlib
import shutil
from pathlib import Path

import pytest
import torch
from transformers import AutoConfig, BertModel, LlamaModel

from harness.cli.main import main
from harness.models.layers import keep_layers, kept_layers, layer_stack, layers_of
from harness.errors import HarnessError
from harness.models.load import load_task_model
from harness.tasks import kinds

TINY_LAYERS = 2  # tests/tiny_models.py: num_hidden_layers=2 for both tiny models


def _six_layers(source: Path, folder: Path, model_class) -> Path:
    """The tiny model (its tokenizer and sizes) with 6 layers instead of 2, random weights, saved."""
    shutil.copytree(source, folder)
    config = AutoConfig.from_pretrained(source)
    config.num_hidden_layers = 6
    torch.manual_seed(0)
    model_class(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def six_layer_models(tmp_path_factory, encoder_dir, decoder_dir) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("six-layers")
    return {"bert": _six_layers(encoder_dir, root / "bert", BertModel),
            "llama": _six_layers(decoder_dir, root / "llama", LlamaModel)}


def test_kept_layers_are_every_kth_from_the_first():
    assert kept_layers(6, 3) == [0, 2, 4]
    assert kept_layers(12, 4) == [0, 3, 6, 9]
    assert kept_layers(12, 6) == [0, 2, 4, 6, 8, 10]
    assert kept_layers(6, 6) == [0, 1, 2, 3, 4, 5]
    assert kept_layers(6, 1) == [0]
    assert kept_layers(2, 1) == [0]
    for total in range(1, 13):
        for keep in range(1, total + 1):
            chosen = kept_layers(total, keep)
            assert len(chosen) == keep == len(set(chosen)) and chosen == sorted(chosen)
            assert chosen[0] == 0 and chosen[-1] < total


@pytest.mark.parametrize("name", ["bert", "llama"])
def test_keep_layers_keeps_the_chosen_layers_weights(six_layer_models, name):
    loaded = load_task_model(str(six_layer_models[name]), kinds.TEXT_CLASSIFICATION, 2)
    backbone = loaded.model.backbone
    stack = layer_stack(backbone)[2]
    assert len(stack) == 6 and layers_of(loaded.model) == 6
    originals = [copy.deepcopy(layer.state_dict()) for layer in stack]
    embeddings_before = copy.deepcopy(backbone.get_input_embeddings().weight)

    chosen = keep_layers(backbone, 3)

    assert chosen == kept_layers(6, 3) == [0, 2, 4]
    stack = layer_stack(backbone)[2]
    assert len(stack) == 3 and layers_of(loaded.model) == 3
    assert backbone.config.num_hidden_layers == 3 and loaded.model.config.num_hidden_layers == 3
    for position, original in enumerate(chosen):
        kept = stack[position].state_dict()
        assert kept.keys() == originals[original].keys()
        assert all(torch.equal(kept[key], originals[original][key]) for key in kept)
    # a kept layer is not a copy of a dropped one (the six random layers differ)
    assert not torch.equal(next(iter(stack[1].state_dict().values())), next(iter(originals[1].values())))
    assert torch.equal(backbone.get_input_embeddings().weight, embeddings_before)
    for position, block in enumerate(stack):  # decoders index their key-value cache by layer
        for module in block.modules():
            if isinstance(getattr(module, "layer_idx", None), int):
                assert module.layer_idx == position

    tokens = loaded.tokenizer(["the film is a charming journey", "a mess"], padding=True, return_tensors="pt")
    inputs = {k: v for k, v in tokens.items() if k in ("input_ids", "attention_mask")}
    loaded.model.eval()
    with torch.no_grad():
        out = loaded.model(**inputs, labels=torch.tensor([1, 0]))
    assert out.logits.shape == (2, 2) and torch.isfinite(out.logits).all() and torch.isfinite(out.loss)


@pytest.mark.parametrize("name", ["bert", "llama"])
def test_the_cut_model_computes_what_its_kept_layers_compute(six_layer_models, name):
    """The same backbone built from a 3-layer config holding layers 0, 2, 4 gives the same hidden states."""
    folder = six_layer_models[name]
    cut = load_task_model(str(folder), kinds.TOKEN_CLASSIFICATION, 5).model.backbone
    keep_layers(cut, 3)
    config = AutoConfig.from_pretrained(folder)
    config.num_hidden_layers = 3
    rebuilt = (BertModel if name == "bert" else LlamaModel)(config)
    full = load_task_model(str(folder), kinds.TOKEN_CLASSIFICATION, 5).model.backbone.state_dict()
    stack_name = layer_stack(rebuilt)[1]
    prefix = "encoder." if name == "bert" else ""
    state = {}
    for key, value in full.items():
        parts = key.split(".")
        if key.startswith(f"{prefix}{stack_name}."):
            index = int(parts[len(prefix.split(".")) if prefix else 1])
            if index not in (0, 2, 4):
                continue
            parts[len(prefix.split(".")) if prefix else 1] = str(index // 2)
        state[".".join(parts)] = value
    missing, unexpected = rebuilt.load_state_dict(state, strict=False)
    assert not unexpected and all(key.startswith("pooler.") for key in missing)  # the harness drops BERT's pooler
    ids = torch.tensor([[5, 17, 23, 42, 8]])
    cut.eval(), rebuilt.eval()
    with torch.no_grad():
        assert torch.allclose(cut(input_ids=ids).last_hidden_state, rebuilt(input_ids=ids).last_hidden_state,
                              atol=1e-5)


@pytest.mark.parametrize("fixture", ["encoder_dir", "decoder_dir"])
def test_the_tiny_models_cut_to_one_layer(request, fixture):
    loaded = load_task_model(str(request.getfixturevalue(fixture)), kinds.REGRESSION, 1)
    assert layers_of(loaded.model) == TINY_LAYERS
    assert keep_layers(loaded.model.backbone, 1) == [0]
    assert layers_of(loaded.model) == 1 and loaded.model.backbone.config.num_hidden_layers == 1


@pytest.mark.parametrize("keep", [0, -1, TINY_LAYERS + 1, 100])
def test_keep_layers_refuses_counts_the_model_does_not_have(encoder_dir, keep):
    loaded = load_task_model(str(encoder_dir), kinds.TEXT_CLASSIFICATION, 2)
    with pytest.raises(HarnessError, match=f"the model has {TINY_LAYERS} layers; keep from 1 to {TINY_LAYERS}"):
        keep_layers(loaded.model.backbone, keep)
    assert layers_of(loaded.model) == TINY_LAYERS  # left whole


def test_keeping_every_layer_changes_nothing(encoder_dir):
    loaded = load_task_model(str(encoder_dir), kinds.TEXT_CLASSIFICATION, 2)
    before = copy.deepcopy(loaded.model.backbone.state_dict())
    assert keep_layers(loaded.model.backbone, TINY_LAYERS) == list(range(TINY_LAYERS))
    after = loaded.model.backbone.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".locks" not in p.parts}


@pytest.mark.parametrize("fixture", ["encoder_dir", "decoder_dir"])
@pytest.mark.parametrize("layers, message", [
    ("0", "--student-layers 0: expected a whole number from 1 to 1000"),
    (str(TINY_LAYERS + 1), f"--student-layers {TINY_LAYERS + 1}: the model has {TINY_LAYERS} layers"),
    ("1001", "--student-layers 1001: expected a whole number from 1 to 1000"),
])
def test_student_layers_the_model_lacks_are_one_line_exit_2(env, request, capsys, fixture, layers, message):
    results = env / "results"
    assert main(["run", "--model", str(request.getfixturevalue(fixture)), "--task", "tiny-sentiment", "--epochs", "1",
                 "--seed", "3", "--results", str(results), "--quiet", "--save-model"]) == 0
    capsys.readouterr()
    before = _snapshot(results)
    code = main(["run", "--model", str(request.getfixturevalue(fixture)), "--task", "tiny-sentiment", "--epochs", "1",
                 "--results", str(results), "--quiet", "--student-layers", layers])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("error:") and "Traceback" not in err
    assert message in err
    assert _snapshot(results) == before


def test_student_layers_on_a_method_that_trains_nothing_is_refused(env, encoder_dir, capsys):
    assert main(["run", "--model", str(encoder_dir), "--method", "zero-shot", "--task", "tiny-sentiment",
                 "--results", str(env / "results"), "--quiet", "--student-layers", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error:") and "--student-layers does not apply" in err
    assert not any((env / "results").rglob("*.json"))
