"""Every method on tiny models: the right parameters train, only those change, saved weights reload."""

from __future__ import annotations

import re

import pytest
import torch

from harness.artifact import load_trained, save_trained
from harness.encode import collate, encode
from harness.errors import HarnessError
from harness.methods import all_methods, count_parameters, get_method
from harness.models.load import load_task_model
from harness.tasks import kinds
from harness.tasks.example import Example

SENTENCES = [Example(id="a", text="the film is a charming journey", label=1),
             Example(id="b", text="unflinchingly bleak and desperate", label=0)]
SCORES = [Example(id="a", text="the film is a charming journey", text_pair="a gorgeous movie", label=4.2),
          Example(id="b", text="unflinchingly bleak", text_pair="it is a mess", label=0.8)]
SENTENCE_TAGS = [Example(id="a", words=("Peter", "went", "to", "Brussels"), tags=(1, 0, 0, 2)),
                 Example(id="b", words=("Japan", "won"), tags=(2, 0))]
DATA = {kinds.TEXT_CLASSIFICATION: (SENTENCES, 2), kinds.REGRESSION: (SCORES, 1),
        kinds.TOKEN_CLASSIFICATION: (SENTENCE_TAGS, 3)}

# What each method may leave trainable besides the head (regular expressions on parameter names).
TRAINABLE = {
    "bitfit": r"bias$",
    "lora": r"lora_[AB]\.",
    "dora": r"lora_([AB]\.|magnitude_vector)",
    "adalora": r"lora_[ABE]\.",
    "ia3": r"ia3_l\.",
    "prefix": r"prompt_encoder\.",
    "prompt": r"prompt_encoder\.",
    "ptuning": r"prompt_encoder\.",
    "adapter": r"\.(down|up)\.|(LayerNorm|norm)\.",
    "adapter-pfeiffer": r"\.(down|up)\.",
}
HEAD = re.compile(r"(^|\.)head\.")


def _prepared(model_dir, method_name, kind=kinds.TEXT_CLASSIFICATION, options=None):
    examples, num_labels = DATA[kind]
    loaded = load_task_model(str(model_dir), kind, num_labels)
    method = get_method(method_name)
    resolved = method.resolve_options(options or {})
    method.check(loaded.model, kind, resolved)
    net = method.prepare(loaded.model, resolved, total_updates=20)
    batch = collate(encode(examples, loaded.tokenizer, kind, 32, loaded.is_decoder),
                    loaded.tokenizer.pad_token_id, kind)
    return net, batch, resolved


def _train_steps(net, batch, method_name, steps=3):
    """A few Adam steps (Adam moves every parameter with a gradient, even from zero-initialised adapters)."""
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-2)
    net.train()
    for update in range(1, steps + 1):
        net(**batch).loss.backward()
        optimizer.step()
        get_method(method_name).after_update(net, update)
        optimizer.zero_grad()
    changed = {n for n, p in net.named_parameters() if not torch.equal(p.detach(), before[n])}
    trainable = {n for n, p in net.named_parameters() if p.requires_grad}
    return changed, trainable


def test_every_builtin_method_is_registered():
    assert set(TRAINABLE) | {"full", "frozen"} <= set(all_methods())


@pytest.mark.parametrize("kind", list(DATA))
@pytest.mark.parametrize("model_fixture", ["encoder_dir", "decoder_dir"])
@pytest.mark.parametrize("method_name", sorted(TRAINABLE))
def test_method_trains_only_its_parameters(method_name, model_fixture, kind, request):
    if method_name == "bitfit" and model_fixture == "decoder_dir":
        pytest.skip("Llama has no biases: covered by test_bitfit_refuses_a_bias_free_model")
    net, batch, _ = _prepared(request.getfixturevalue(model_fixture), method_name, kind)
    changed, trainable = _train_steps(net, batch, method_name)
    pattern = re.compile(TRAINABLE[method_name])
    method_params = {n for n in trainable if not HEAD.search(n)}
    assert method_params and all(pattern.search(n) for n in method_params), sorted(method_params)[:5]
    assert any(HEAD.search(n) for n in trainable)
    assert changed <= trainable
    assert changed & method_params, "training moved none of the method's own parameters"
    trained, total = count_parameters(net)
    assert trained < total


@pytest.mark.parametrize("model_fixture", ["encoder_dir", "decoder_dir"])
def test_full_trains_everything(model_fixture, request):
    net, batch, _ = _prepared(request.getfixturevalue(model_fixture), "full")
    changed, trainable = _train_steps(net, batch, "full")
    assert trainable == {n for n, _ in net.named_parameters()}
    assert any(n.startswith("backbone.") for n in changed) and "head.weight" in changed


@pytest.mark.parametrize("model_fixture", ["encoder_dir", "decoder_dir"])
def test_frozen_trains_only_the_head(model_fixture, request):
    net, batch, _ = _prepared(request.getfixturevalue(model_fixture), "frozen")
    changed, trainable = _train_steps(net, batch, "frozen")
    assert trainable == {"head.weight", "head.bias"}
    assert changed == trainable


def test_prompt_tuning_keeps_one_output_per_word(encoder_dir):
    net, batch, _ = _prepared(encoder_dir, "prompt", kinds.TOKEN_CLASSIFICATION, {"virtual_tokens": 5})
    logits = net(**batch).logits
    assert logits.shape[:2] == batch["input_ids"].shape  # virtual tokens dropped before the tag head


@pytest.mark.parametrize("method_name", ["full", "lora", "adalora", "ia3", "prefix", "ptuning", "adapter", "bitfit"])
def test_saved_weights_reload_to_the_same_predictions(method_name, encoder_dir, tmp_path):
    net, batch, options = _prepared(encoder_dir, method_name)
    _train_steps(net, batch, method_name)
    net.eval()
    with torch.no_grad():
        expected = net(**batch).logits
    spec = {"model": str(encoder_dir), "method": method_name, "method_options": options, "pooling": "mean"}
    size = save_trained(net, tmp_path / "model", {"spec": spec, "task_kind": kinds.TEXT_CLASSIFICATION,
                                                  "num_labels": 2, "total_updates": 20})
    reloaded = load_trained(tmp_path / "model")
    with torch.no_grad():
        assert torch.allclose(reloaded.model(**batch).logits, expected, atol=1e-6)
    if method_name != "full":
        whole = sum(p.numel() * 4 for p in net.parameters())
        assert size < whole / 2  # only the trained tensors are saved


def test_bitfit_refuses_a_bias_free_model(decoder_dir):
    with pytest.raises(HarnessError, match="bitfit.*no.*bias|has none"):
        _prepared(decoder_dir, "bitfit")


def test_lora_target_names_are_checked(encoder_dir):
    with pytest.raises(HarnessError, match="not a linear layer.*query"):
        _prepared(encoder_dir, "lora", options={"targets": "q_proj"})


def test_lora_attention_targets_leave_feed_forward_alone(encoder_dir):
    net, _, _ = _prepared(encoder_dir, "lora", options={"targets": "attention"})
    trainable = {n for n, p in net.named_parameters() if p.requires_grad}
    assert any(".query." in n for n in trainable) and not any("intermediate" in n for n in trainable)


def test_houlsby_adapts_attention_and_feed_forward_pfeiffer_only_feed_forward(encoder_dir):
    houlsby, _, _ = _prepared(encoder_dir, "adapter")
    pfeiffer, _, _ = _prepared(encoder_dir, "adapter-pfeiffer")
    adapted = lambda net: {n.rsplit(".down.", 1)[0] for n, _ in net.named_parameters() if ".down." in n}  # noqa: E731
    assert any("attention.output" in n for n in adapted(houlsby))
    assert not any("attention" in n for n in adapted(pfeiffer)) and adapted(pfeiffer)


def test_adapters_start_as_the_pretrained_model(encoder_dir):
    frozen, batch, _ = _prepared(encoder_dir, "frozen")
    torch.manual_seed(0)
    adapted, _, _ = _prepared(encoder_dir, "adapter")
    adapted.head.load_state_dict(frozen.head.state_dict())
    frozen.eval(), adapted.eval()
    with torch.no_grad():
        assert torch.allclose(frozen(**batch).logits, adapted(**batch).logits, atol=1e-6)


@pytest.mark.parametrize("method_name, options, message", [
    ("lora", {"r": 0}, "--lora-r 0: expected a whole number from 1"),
    ("adalora", {"target_r": 20}, "--adalora-target-r must be between"),
    ("prompt", {"virtual_tokens": 0}, "--prompt-virtual-tokens 0: expected a whole number from 1"),
    ("adapter", {"reduction": 0}, "--adapter-reduction 0: expected a whole number from 1"),
    ("adapter", {"reduction": 4096}, "--adapter-reduction must be between 1 and the hidden size"),
    ("adapter", {"activation": "tanh"}, "--adapter-activation tanh is not one of"),
])
def test_bad_method_options_are_refused_before_training(method_name, options, message, encoder_dir):
    with pytest.raises(HarnessError, match=message):
        _prepared(encoder_dir, method_name, options=options)


def test_unknown_method_and_option():
    with pytest.raises(HarnessError, match="did you mean lora"):
        get_method("lorra")
    with pytest.raises(HarnessError, match="--lora-r"):
        get_method("lora").resolve_options({"rank": 4})
    with pytest.raises(HarnessError, match="--adalora-init-r twelve: expected a whole number"):
        get_method("adalora").resolve_options({"init_r": "twelve"})
    assert get_method("adapter").resolve_options({"train_norms": "false"})["train_norms"] is False
