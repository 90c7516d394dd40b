"""The backbone of large models (harness.scale): gradient checkpointing computes the same loss and gradients for
every method and task kind, the attention option reaches the model, both land in spec and record, and the
CUDA-only paths (QLoRA) skip cleanly without CUDA."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch
from test_methods import DATA
from user_tasks import write_user_tasks

from harness.cli.main import main
from harness.encode import collate, encode
from harness.errors import HarnessError
from harness.methods import all_methods, get_method
from harness.models.load import load_task_model
from harness.scale import BackboneSettings, check_environment, check_settings
from harness.scale.backbone import resolved_attention
from harness.tasks import kinds

TRAINING_METHODS = sorted(name for name, method in all_methods().items() if method.trains)


def _loss_and_grads(model_dir, method_name, kind, checkpointing: bool):
    """One forward and backward in training mode (dropout on) from the same seed; also how often the first
    layer ran its forward (checkpointing runs it again in the backward pass)."""
    examples, num_labels = DATA[kind]
    torch.manual_seed(0)
    loaded = load_task_model(str(model_dir), kind, num_labels,
                             settings=BackboneSettings(gradient_checkpointing=checkpointing))
    method = get_method(method_name)
    options = method.resolve_options({})
    net = method.prepare(loaded.model, options, total_updates=20)
    batch = collate(encode(examples, loaded.tokenizer, kind, 32, loaded.is_decoder), loaded.tokenizer.pad_token_id,
                    kind)
    calls = []  # a linear layer inside the first transformer layer (hooks on the layer itself stay outside)
    inner = next(m for n, m in loaded.model.backbone.named_modules() if isinstance(m, torch.nn.Linear)
                 and (".0." in f".{n}"))
    inner.register_forward_hook(lambda *_: calls.append(1))
    net.train()
    torch.manual_seed(1)  # dropout masks: the same draws in both runs
    loss = net(**batch).loss
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in net.named_parameters() if p.requires_grad and p.grad is not None}
    return float(loss.detach()), grads, len(calls)


@pytest.mark.parametrize("kind", list(DATA))
@pytest.mark.parametrize("model_fixture", ["encoder_dir", "decoder_dir"])
@pytest.mark.parametrize("method_name", TRAINING_METHODS)
def test_checkpointing_gives_the_same_loss_and_gradients(method_name, model_fixture, kind, request):
    if method_name == "bitfit" and model_fixture == "decoder_dir":
        pytest.skip("Llama has no biases (bitfit refuses it)")
    if get_method(method_name).no_checkpointing_because:
        pytest.skip("refused before loading: test_prefix_tuning_refuses_checkpointing")
    model_dir = request.getfixturevalue(model_fixture)
    loss, grads, calls = _loss_and_grads(model_dir, method_name, kind, checkpointing=False)
    loss_ckpt, grads_ckpt, calls_ckpt = _loss_and_grads(model_dir, method_name, kind, checkpointing=True)
    assert (calls, calls_ckpt) == (1, 2), "checkpointing did not recompute the layer in the backward pass"
    assert loss_ckpt == pytest.approx(loss, rel=1e-6, abs=1e-7)
    assert grads and grads.keys() == grads_ckpt.keys()
    for name, grad in grads.items():
        torch.testing.assert_close(grads_ckpt[name], grad, rtol=1e-5, atol=1e-7, msg=name)


def test_prefix_tuning_refuses_checkpointing():
    with pytest.raises(HarnessError, match="--method prefix: peft's prefix tuning refuses it.*use prompt or ptuning"):
        check_settings(BackboneSettings(gradient_checkpointing=True), get_method("prefix"))


@pytest.mark.parametrize("attention", ["eager", "sdpa"])
@pytest.mark.parametrize("model_fixture", ["encoder_dir", "decoder_dir"])
def test_attention_reaches_the_model_config(attention, model_fixture, request):
    loaded = load_task_model(str(request.getfixturevalue(model_fixture)), kinds.TEXT_CLASSIFICATION, 2,
                             settings=BackboneSettings(attention=attention))
    assert loaded.model.backbone.config._attn_implementation == attention
    assert resolved_attention(loaded.model.backbone) == attention


def test_attention_kernels_agree(decoder_dir):
    """The same weights through eager and sdpa attention: the same outputs (within float tolerance)."""
    examples, _ = DATA[kinds.TEXT_CLASSIFICATION]
    outputs = []
    for attention in ("eager", "sdpa"):
        torch.manual_seed(0)
        loaded = load_task_model(str(decoder_dir), kinds.TEXT_CLASSIFICATION, 2,
                                 settings=BackboneSettings(attention=attention))
        batch = collate(encode(examples, loaded.tokenizer, kinds.TEXT_CLASSIFICATION, 32, True),
                        loaded.tokenizer.pad_token_id, kinds.TEXT_CLASSIFICATION)
        loaded.model.eval()
        with torch.no_grad():
            outputs.append(loaded.model(**batch).logits)
    torch.testing.assert_close(outputs[0], outputs[1], rtol=1e-4, atol=1e-5)


def test_run_records_checkpointing_and_attention(tmp_path, monkeypatch, decoder_dir):
    monkeypatch.setenv("HARNESS_TASKS_PATH", str(write_user_tasks(tmp_path / "tasks")))
    results = tmp_path / "results"
    base = ["run", "--model", str(decoder_dir), "--task", "tiny-sentiment", "--epochs", "1", "--quiet",
            "--results", str(results)]
    assert main([*base, "--gradient-checkpointing", "--attention", "eager"]) == 0
    assert main(base) == 0  # the same run without them: another run id, and the fields left out of its spec
    records = [json.loads(p.read_text()) for p in (results / "tiny-sentiment").glob("*.json")]
    (tuned,) = [r for r in records if r["spec"].get("gradient_checkpointing")]
    (plain,) = [r for r in records if not r["spec"].get("gradient_checkpointing")]
    assert tuned["spec"]["attention"] == "eager" and tuned["model"]["attention"] == "eager"
    assert tuned["training"]["gradient_checkpointing"] is True
    assert not {"gradient_checkpointing", "attention", "quantize_base"} & set(plain["spec"])
    assert plain["training"]["gradient_checkpointing"] is False and plain["model"]["attention"] == "sdpa"
    assert tuned["run_id"] != plain["run_id"]


def test_sweep_file_carries_the_backbone_settings(tmp_path, monkeypatch, encoder_dir):
    monkeypatch.setenv("HARNESS_TASKS_PATH", str(write_user_tasks(tmp_path / "tasks")))
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"models: [{encoder_dir}]\nmethods: [lora]\ntasks: [tiny-sentiment]\n"
                     "gradient_checkpointing: true\nattention: eager\ntraining: {epochs: 1}\n")
    assert main(["sweep", "--file", str(sweep), "--results", str(tmp_path / "results"), "--in-process",
                 "--quiet"]) == 0
    (path,) = (tmp_path / "results" / "tiny-sentiment").glob("*.json")
    spec = json.loads(path.read_text())["spec"]
    assert spec["gradient_checkpointing"] is True and spec["attention"] == "eager"


@pytest.mark.parametrize("method_name", ["lora", "dora", "adalora", "ia3"])
def test_quantized_base_is_allowed_for_adapter_methods(method_name):
    settings = BackboneSettings(quantize_base="4bit")
    assert check_settings(settings, get_method(method_name)) == settings


@pytest.mark.parametrize("method_name", ["full", "bitfit", "prefix", "adapter", "zero-shot"])
def test_quantized_base_is_refused_for_other_methods(method_name):
    with pytest.raises(HarnessError, match="use it with lora, dora, adalora, ia3"):
        check_settings(BackboneSettings(quantize_base="4bit"), get_method(method_name))


def test_quantized_base_needs_cuda_before_bitsandbytes():
    """On a machine without CUDA the answer is CUDA, whether or not bitsandbytes is there."""
    with pytest.raises(HarnessError, match="runs on CUDA only"):
        check_environment(BackboneSettings(quantize_base="8bit"), cuda=False)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available() or importlib.util.find_spec("bitsandbytes") is None,
                    reason="QLoRA needs a CUDA device and bitsandbytes")
def test_qlora_run_trains_and_saves_the_adapter(tmp_path, monkeypatch, decoder_dir):
    monkeypatch.setenv("HARNESS_TASKS_PATH", str(write_user_tasks(tmp_path / "tasks")))
    results = tmp_path / "results"
    assert main(["run", "--model", str(decoder_dir), "--task", "tiny-sentiment", "--method", "lora",
                 "--quantize-base", "4bit", "--gradient-checkpointing", "--epochs", "1", "--device", "cuda",
                 "--save-model", "--quiet", "--results", str(results)]) == 0
    (path,) = (results / "tiny-sentiment").glob("*.json")
    record = json.loads(path.read_text())
    assert record["spec"]["quantize_base"] == "4bit" and record["model"]["quantized_base"] == "4bit"
    assert 0 < record["costs"]["trainable_share"] < 0.5  # the adapter and head, not the base
    assert record["artifact"] and (results / record["artifact"] / "trained.safetensors").is_file()


def test_real_minilm_trains_the_same_with_checkpointing(data_dir, tmp_path):
    """The packaged MiniLM on real SST-2: checkpointing (and eager attention) change memory, not the numbers."""
    base = ["run", "--model", "minilm", "--method", "lora", "--task", "sst2", "--train-limit", "96", "--eval-limit",
            "64", "--epochs", "1", "--batch-size", "16", "--data-dir", str(data_dir), "--results", str(tmp_path),
            "--quiet"]
    assert main(base) == 0
    assert main([*base, "--gradient-checkpointing", "--attention", "eager"]) == 0
    records = [json.loads(p.read_text()) for p in (tmp_path / "sst2").glob("*.json")]
    (plain,) = [r for r in records if "gradient_checkpointing" not in r["spec"]]
    (checkpointed,) = [r for r in records if r["spec"].get("gradient_checkpointing")]
    assert checkpointed["model"]["attention"] == "eager" and checkpointed["training"]["gradient_checkpointing"]
    assert [e["train_loss"] for e in checkpointed["training"]["history"]] == pytest.approx(
        [e["train_loss"] for e in plain["training"]["history"]], rel=1e-4)
    assert checkpointed["metrics"]["validation"]["values"]["accuracy"] == pytest.approx(
        plain["metrics"]["validation"]["values"]["accuracy"], abs=1 / 64)
