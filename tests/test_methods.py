"""Methods on tiny models: the right parameters train, and only those change."""

from __future__ import annotations

import pytest
import torch

from harness.encode import collate, encode
from harness.errors import HarnessError
from harness.methods import count_parameters, get_method
from harness.models.load import load_task_model
from harness.tasks import kinds
from harness.tasks.example import Example

EXAMPLES = [Example(id="a", text="the film is a charming journey", label=1),
            Example(id="b", text="unflinchingly bleak and desperate", label=0)]


def _step(model_dir, method_name, options=None):
    loaded = load_task_model(str(model_dir), kinds.TEXT_CLASSIFICATION, 2)
    method = get_method(method_name)
    resolved = method.resolve_options(options or {})
    method.check(loaded.model, kinds.TEXT_CLASSIFICATION, resolved)
    net = method.prepare(loaded.model, resolved)
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    batch = collate(encode(EXAMPLES, loaded.tokenizer, kinds.TEXT_CLASSIFICATION, 32, loaded.is_decoder),
                    loaded.tokenizer.pad_token_id, kinds.TEXT_CLASSIFICATION)
    optimizer = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.5)
    net(**batch).loss.backward()
    optimizer.step()
    changed = {n for n, p in net.named_parameters() if not torch.equal(p.detach(), before[n])}
    trainable = {n for n, p in net.named_parameters() if p.requires_grad}
    return net, changed, trainable


@pytest.mark.parametrize("model_fixture", ["encoder_dir", "decoder_dir"])
def test_full_trains_everything(model_fixture, request):
    net, changed, trainable = _step(request.getfixturevalue(model_fixture), "full")
    assert trainable == {n for n, _ in net.named_parameters()}
    assert any(n.startswith("backbone.") for n in changed) and "head.weight" in changed


@pytest.mark.parametrize("model_fixture", ["encoder_dir", "decoder_dir"])
def test_frozen_trains_only_the_head(model_fixture, request):
    net, changed, trainable = _step(request.getfixturevalue(model_fixture), "frozen")
    assert trainable == {"head.weight", "head.bias"}
    assert changed == trainable


@pytest.mark.parametrize("model_fixture", ["encoder_dir", "decoder_dir"])
def test_lora_trains_adapters_and_head_only(model_fixture, request):
    net, changed, trainable = _step(request.getfixturevalue(model_fixture), "lora")
    assert trainable and all("lora_" in n or ".head." in n for n in trainable)
    # B starts at zero, so after one step A has no gradient yet but B and the head move.
    assert changed <= trainable and any("lora_B" in n for n in changed)
    share = count_parameters(net)[0] / count_parameters(net)[1]
    assert share < 0.5


def test_lora_target_names_are_checked(encoder_dir):
    with pytest.raises(HarnessError, match="not a linear layer.*query"):
        _step(encoder_dir, "lora", {"targets": "q_proj"})


def test_lora_attention_targets_leave_feed_forward_alone(encoder_dir):
    net, _, trainable = _step(encoder_dir, "lora", {"targets": "attention"})
    assert any(".query." in n for n in trainable) and not any("intermediate" in n for n in trainable)


def test_unknown_method_and_option():
    with pytest.raises(HarnessError, match="did you mean lora"):
        get_method("lorra")
    with pytest.raises(HarnessError, match="--lora-r"):
        get_method("lora").resolve_options({"rank": 4})
