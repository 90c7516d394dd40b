"""oneDNN-packed linear layers: same numbers as PyTorch's, swapped only while asked, off on request."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM

from harness.models import onednn
from harness.models.onednn import PackedLinear, onednn_linears

pytestmark = pytest.mark.skipif(not onednn.available(), reason="this PyTorch has no oneDNN packed linear")


@pytest.fixture()
def model(causal_lm_dir):
    return AutoModelForCausalLM.from_pretrained(causal_lm_dir).eval()


def _linears(model) -> list[torch.nn.Module]:
    return [m for m in model.modules() if isinstance(m, (torch.nn.Linear, PackedLinear))]


def test_swapped_while_the_block_runs_and_restored_after(model):
    before = _linears(model)
    ids = torch.tensor([[1, 5, 9, 2, 7]])
    with torch.inference_mode():
        plain = model(ids).logits
        with onednn_linears(model) as swapped:
            packed_types = {type(m) for m in model.modules()}
            fast = model(ids).logits
    assert swapped == len(before) - 1  # every linear layer but the output embeddings
    assert PackedLinear in packed_types
    assert isinstance(model.get_output_embeddings(), torch.nn.Linear)
    assert _linears(model) == before and PackedLinear not in {type(m) for m in model.modules()}
    assert torch.allclose(fast, plain, atol=1e-5)
    assert not torch.equal(fast, torch.zeros_like(fast))


def test_forwards_that_need_gradients_use_the_original_layer(model):
    ids = torch.tensor([[3, 4, 5]])
    with onednn_linears(model):
        model(ids).logits.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_turned_off_by_the_environment(model, monkeypatch):
    monkeypatch.setenv("HARNESS_ONEDNN", "0")
    with onednn_linears(model) as swapped:
        assert swapped == 0
        assert PackedLinear not in {type(m) for m in model.modules()}


def test_other_dtypes_are_left_alone(model):
    model.to(torch.bfloat16)
    with onednn_linears(model) as swapped:
        assert swapped == 0


def test_checking_and_swapping_leave_the_random_generator_alone(model):
    onednn._packed_linear_works.cache_clear()
    state = torch.get_rng_state()
    with onednn_linears(model) as swapped:
        assert swapped
    assert torch.equal(torch.get_rng_state(), state)
