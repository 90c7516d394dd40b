"""Compressed variants on tiny models: still predicting, smaller where they should be, refused where they cannot run."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from harness.encode import encode
from harness.errors import HarnessError
from harness.methods import get_method
from harness.models import onednn
from harness.models.load import load_task_model
from harness.predict import predict
from harness.profiling.memory import size_on_disk
from harness.tasks import Example
from harness.variants import all_variants, apply_variant, check_available, get_variant, select_variants
from harness.variants import model_parts, torchao
from tiny_models import CORPUS

CPU_VARIANTS = ["fp32", "fp32-onednn", "bf16", "int8-dynamic", "int8-dynamic-emb", "int8-weight", "prune-30",
                "prune-50"]
GPU_ONLY = ["fp16", "int4-weight", "bnb-8bit", "bnb-4bit"]
has_torchao = torchao.torchao_version() is not None


@pytest.fixture(autouse=True)
def one_thread():
    # Two threads on a shared two-core machine make every forward wait on the other jobs.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def fresh(model_dir, kind: str = "text_classification", num_labels: int = 2):
    torch.manual_seed(0)
    return load_task_model(str(model_dir), kind, num_labels)


def features_of(loaded):
    examples = [Example(id=str(i), text=text, label=i % 2) for i, text in enumerate(CORPUS)]
    return encode(examples, loaded.tokenizer, "text_classification", 32, loaded.is_decoder)


def predictions(model, loaded, features):
    return predict(model, features, kind="text_classification", pad_id=loaded.tokenizer.pad_token_id, batch_size=4)


@pytest.mark.parametrize("name", CPU_VARIANTS)
@pytest.mark.parametrize("backbone", ["encoder", "decoder"])
def test_cpu_variant_still_predicts(name, backbone, encoder_dir, decoder_dir):
    if name == "int8-weight" and not has_torchao:
        pytest.skip("torchao is not installed")
    if name == "fp32-onednn" and not onednn.available():
        pytest.skip("this PyTorch has no oneDNN packed linear")
    loaded = fresh(encoder_dir if backbone == "encoder" else decoder_dir)
    features = features_of(loaded)
    model = get_variant(name).apply(loaded.model, "cpu")
    result = predictions(model, loaded, features)
    assert len(result.values) == len(features)
    assert all(value in (0, 1) for value in result.values)
    for row in result.probabilities:
        assert len(row) == 2 and all(math.isfinite(p) for p in row) and sum(row) == pytest.approx(1, abs=1e-4)


def test_int8_dynamic_is_smaller_on_disk_and_keeps_predictions(encoder_dir):
    reference = fresh(encoder_dir)
    fp32_size = size_on_disk(reference.model)
    features = features_of(reference)
    fp32_logits = predictions(reference.model, reference, features).probabilities
    int8 = get_variant("int8-dynamic").apply(fresh(encoder_dir).model, "cpu")
    with_embeddings = get_variant("int8-dynamic-emb").apply(fresh(encoder_dir).model, "cpu")
    assert size_on_disk(int8) < fp32_size
    # 8 bits per value plus a scale and offset per row: at least 60% of the fp32 matrix saved
    matrix_bytes = reference.model.backbone.get_input_embeddings().weight.numel() * 4
    assert size_on_disk(int8) - size_on_disk(with_embeddings) > 0.6 * matrix_bytes
    assert type(with_embeddings.backbone.get_input_embeddings()).__module__.startswith("torch.ao.nn.quantized")
    assert not model_parts.backbone_linears(int8), "every backbone nn.Linear should have been swapped for an int8 one"
    assert isinstance(int8.head, nn.Linear), "the task head stays in float"
    close = predictions(int8, reference, features).probabilities
    assert max(abs(a - b) for ra, rb in zip(fp32_logits, close) for a, b in zip(ra, rb)) < 0.05


@pytest.mark.skipif(not onednn.available(), reason="this PyTorch has no oneDNN packed linear")
@pytest.mark.parametrize("backbone", ["encoder", "decoder"])
def test_fp32_onednn_runs_every_linear_layer_packed_with_fp32_results(backbone, encoder_dir, decoder_dir):
    model_dir = encoder_dir if backbone == "encoder" else decoder_dir
    reference = fresh(model_dir)
    features = features_of(reference)
    expected = predictions(reference.model, reference, features)
    model = get_variant("fp32-onednn").apply(fresh(model_dir).model, "cpu")
    packed = [m for m in model.modules() if isinstance(m, onednn.PackedLinear)]
    wrapped = {id(m.original) for m in packed}
    assert packed and not [m for m in model.modules() if type(m) is nn.Linear and id(m) not in wrapped]
    result = predictions(model, reference, features)
    assert result.values == expected.values
    assert max(abs(a - b) for ra, rb in zip(expected.probabilities, result.probabilities)
               for a, b in zip(ra, rb)) < 1e-5
    assert size_on_disk(model) == pytest.approx(size_on_disk(reference.model), rel=0.01)


@pytest.mark.skipif(not has_torchao, reason="torchao is not installed")
def test_int8_weight_is_smaller_on_disk(encoder_dir):
    fp32_size = size_on_disk(fresh(encoder_dir).model)
    assert size_on_disk(get_variant("int8-weight").apply(fresh(encoder_dir).model, "cpu")) < fp32_size


@pytest.mark.parametrize("percent", [30, 50])
def test_pruned_weights_are_zero_at_the_stated_share(percent, encoder_dir):
    model = get_variant(f"prune-{percent}").apply(fresh(encoder_dir).model, "cpu")
    linears = model_parts.backbone_linears(model)
    assert linears
    for name, layer in linears:
        assert not hasattr(layer, "weight_orig") and not hasattr(layer, "weight_mask"), f"{name}: pruning not removed"
        zeros = int((layer.weight == 0).sum())
        assert zeros == round(percent / 100 * layer.weight.numel()), name
    assert float((model.head.weight == 0).float().mean()) == 0.0, "the head is never pruned"
    assert model_parts.linear_sparsity(model) == pytest.approx(percent / 100, abs=0.01)


def lora_model(encoder_dir):
    loaded = fresh(encoder_dir)
    method = get_method("lora")
    model = method.prepare(loaded.model, method.resolve_options({}), total_updates=10)
    torch.manual_seed(1)
    for name, parameter in model.named_parameters():
        if "lora_B" in name:  # trained-looking adapters: zero B would make merging trivially exact
            nn.init.normal_(parameter, std=0.3)
    return loaded, model


def test_merged_lora_predicts_as_unmerged(encoder_dir):
    loaded, model = lora_model(encoder_dir)
    features = features_of(loaded)
    unmerged = get_variant("lora-unmerged").apply(model, "cpu")
    unmerged_probabilities = predictions(unmerged, loaded, features).probabilities
    merged = get_variant("lora-merged").apply(unmerged, "cpu")
    assert model_parts.peft_type(merged) is None
    assert not any("lora_" in name for name, _ in merged.named_parameters())
    merged_probabilities = predictions(merged, loaded, features).probabilities
    for a, b in zip(unmerged_probabilities, merged_probabilities):
        assert a == pytest.approx(b, abs=1e-4)


def test_other_variants_merge_lora_first(encoder_dir):
    _, model = lora_model(encoder_dir)
    quantized = get_variant("int8-dynamic").apply(model, "cpu")
    assert model_parts.peft_type(quantized) is None and not model_parts.backbone_linears(quantized)


def test_lora_variants_refused_for_other_models(encoder_dir):
    reason = get_variant("lora-merged").applies(fresh(encoder_dir).model)
    assert reason and "LoRA" in reason
    with pytest.raises(HarnessError, match="lora, dora, adalora; this run used full"):
        check_available("lora-merged", "cpu", method="full")
    with pytest.raises(HarnessError, match="pass --run"):
        check_available("lora-unmerged", "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a CPU-only machine")
@pytest.mark.parametrize("name", GPU_ONLY)
def test_gpu_only_variants_refused_on_cpu_naming_available_ones(name, encoder_dir):
    with pytest.raises(HarnessError) as caught:
        check_available(name, "cpu")
    message = str(caught.value)
    assert "needs CUDA" in message and "available on cpu: fp32, bf16, " in message and "int8-dynamic" in message
    assert "\n" not in message
    with pytest.raises(HarnessError, match="needs CUDA"):
        apply_variant(name, fresh(encoder_dir).model, "cpu")


def test_unknown_variant_lists_valid_ones():
    with pytest.raises(HarnessError) as caught:
        check_available("int8-dynamc", "cpu")
    message = str(caught.value)
    assert "did you mean int8-dynamic" in message
    assert all(name in message for name in all_variants())


def test_all_takes_what_the_device_runs_and_says_why_not_the_rest():
    chosen, skipped = select_variants("all", "cpu")
    names = [variant.name for variant in chosen]
    assert names[0] == "fp32" and {"int8-dynamic", "int8-dynamic-emb", "prune-50"} <= set(names)
    assert set(names).isdisjoint(skipped) and set(names) | set(skipped) == set(all_variants())
    assert "lora-merged" in skipped
    if not torch.cuda.is_available():
        assert set(GPU_ONLY) <= set(skipped)
    chosen, _ = select_variants("prune-50,int8-dynamic", "cpu")
    assert [variant.name for variant in chosen] == ["fp32", "prune-50", "int8-dynamic"]


def test_torchao_missing_is_refused_with_the_install_command(monkeypatch):
    monkeypatch.setattr(torchao, "torchao_version", lambda: None)
    with pytest.raises(HarnessError, match=r"pip install 'torchao==0\.18\.0'"):
        check_available("int8-weight", "cpu")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", GPU_ONLY + ["bf16", "fp32", "int8-weight", "prune-50"])
def test_gpu_variant_predicts_on_cuda(name, encoder_dir):
    variant = get_variant(name)
    reason = variant.unavailable("cuda")
    if reason:
        pytest.skip(reason)
    loaded = fresh(encoder_dir)
    features = features_of(loaded)
    model = variant.apply(loaded.model, "cuda")
    result = predict(model, features, kind="text_classification", pad_id=loaded.tokenizer.pad_token_id,
                     batch_size=4, device="cuda")
    assert len(result.values) == len(features)
    assert all(math.isfinite(p) for row in result.probabilities for p in row)


# -- harness run --variant ------------------------------------------------------------------

def _run_variant(tmp_path, monkeypatch, model_dir, *args):
    from harness.cli.main import main
    from user_tasks import write_user_tasks

    monkeypatch.setenv("HARNESS_TASKS_PATH", str(write_user_tasks(tmp_path / "my_tasks")))
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    return main(["run", "--model", str(model_dir), "--task", "tiny-sentiment", "--results", str(tmp_path / "results"),
                 "--epochs", "1", "--quiet", *args])


@pytest.mark.parametrize("variant", ["int8-dynamic", "prune-50"])
def test_run_evaluates_the_variant(tmp_path, monkeypatch, encoder_dir, variant):
    import json

    # int8-dynamic runs on CPU only: pinned, so the test means the same on a machine with a GPU
    assert _run_variant(tmp_path, monkeypatch, encoder_dir, "--variant", variant, "--device", "cpu") == 0
    (path,) = (tmp_path / "results" / "tiny-sentiment").glob("*[0-9a-f].json")
    record = json.loads(path.read_text())
    assert record["spec"]["variant"] == variant and 0 <= record["headline"]["value"] <= 1


def test_run_refuses_a_cuda_variant_on_cpu_before_training(tmp_path, monkeypatch, encoder_dir, capsys):
    assert _run_variant(tmp_path, monkeypatch, encoder_dir, "--variant", "bnb-4bit", "--device", "cpu") == 2
    err = capsys.readouterr().err
    assert "bnb-4bit" in err and "int8-dynamic" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").rglob("*.json"))


def test_fp32_onednn_turned_off_is_refused_saying_how_to_turn_it_on(monkeypatch):
    monkeypatch.setenv("HARNESS_ONEDNN", "0")
    with pytest.raises(HarnessError) as caught:
        check_available("fp32-onednn", "cpu")
    message = str(caught.value)
    assert "HARNESS_ONEDNN=0" in message and "unset it" in message and "available on cpu: fp32" in message
    assert "fp32-onednn," not in message.split("available on cpu:")[1]
