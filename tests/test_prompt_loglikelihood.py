"""Causal log-likelihood scoring against a direct computation, shared prefix against plain, batch sizes."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from harness.errors import HarnessError
from harness.models.onednn import onednn_linears
from harness.prompting.loglikelihood import Request, check_lengths, encode_requests, score_requests

REQUESTS = [
    Request("the film is a charming\nQuestion: positive or negative?\nAnswer:", (" positive", " negative")),
    Request("it is a mess of a movie\nAnswer: ", ("unflinchingly bleak and desperate", "a gorgeous movie", "no")),
    Request("Japan won", (" the match against China in Tokyo", " Brussels")),
    Request("Peter Blackburn went to Brussels for the European Commission meeting and", (" Japan", " Peter went")),
]


@pytest.fixture(scope="module")
def lm(causal_lm_dir):
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_pretrained(causal_lm_dir).eval(), AutoTokenizer.from_pretrained(causal_lm_dir)


def direct(model, context_ids, continuation_ids) -> float:
    """log p(continuation | context), one unbatched forward over the whole text."""
    ids = torch.tensor([list(context_ids) + list(continuation_ids)])
    with torch.no_grad():
        logprobs = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
    return sum(float(logprobs[len(context_ids) - 1 + k, token]) for k, token in enumerate(continuation_ids))


def test_matches_direct_computation(lm):
    model, tokenizer = lm
    encoded = encode_requests(tokenizer, REQUESTS)
    for share_prefix in (True, False):
        scores = score_requests(model, tokenizer, REQUESTS, share_prefix=share_prefix)
        for request, enc, values in zip(REQUESTS, encoded, scores.loglikelihoods):
            assert len(values) == len(request.continuations)
            for continuation, value in zip(enc.continuations, values):
                assert value == pytest.approx(direct(model, enc.context, continuation), abs=1e-4)
    assert any(len(c) > 1 for enc in encoded for c in enc.continuations)  # the multi-token path ran


def test_trailing_space_moves_to_the_continuation(lm):
    _, tokenizer = lm
    with_space = encode_requests(tokenizer, [Request("Answer: ", ("no",))])[0]
    without = encode_requests(tokenizer, [Request("Answer:", (" no",))])[0]
    assert with_space == without


MANY = [Request(" ".join(["the film is a charming journey"] * (1 + i % 4)) + f" {i}\nAnswer:",
                 (" positive", " a mess of a movie", " no"))
        for i in range(40)]


@pytest.mark.parametrize("linear_layers", ["pytorch", "onednn"])
@pytest.mark.parametrize("batch_size", [1, 8, 32])
def test_scores_identical_at_batch_sizes_1_8_32(lm, batch_size, linear_layers):
    model, tokenizer = lm
    with onednn_linears(model) if linear_layers == "onednn" else nullcontext():
        reference = np.array(score_requests(model, tokenizer, MANY, batch_size=1).loglikelihoods)
        scores = np.array(score_requests(model, tokenizer, MANY, batch_size=batch_size, batch_tokens=100_000)
                          .loglikelihoods)
    assert np.abs(scores - reference).max() < 1e-5
    assert (scores.argmax(axis=1) == reference.argmax(axis=1)).all()


@pytest.mark.parametrize("budget", [8, 64, 100_000])
def test_results_do_not_depend_on_the_token_budget(lm, budget):
    model, tokenizer = lm
    reference = score_requests(model, tokenizer, REQUESTS, batch_tokens=1)  # one request per forward
    scores = score_requests(model, tokenizer, REQUESTS, batch_tokens=budget)
    for a, b in zip(reference.loglikelihoods, scores.loglikelihoods):
        assert b == pytest.approx(a, abs=1e-5)


def test_too_long_prompt_is_refused_before_scoring(lm):
    _, tokenizer = lm
    encoded = encode_requests(tokenizer, REQUESTS)
    with pytest.raises(HarnessError, match="longer than the model's context of 5 tokens"):
        check_lengths(encoded, 5, "sst2")


def test_a_choice_that_adds_no_token_is_refused(lm):
    _, tokenizer = lm
    with pytest.raises(HarnessError, match="adds no token"):
        encode_requests(tokenizer, [Request("Answer:", (" ", " no"))])


DEMOS = "the film is a charming journey\nAnswer: positive\n\nit is a mess of a movie\nAnswer: negative\n\n"
FEW_SHOT = [Request(DEMOS + text + "\nAnswer:", (" positive", " a mess of a movie"))
            for text in ("Japan won the match", "unflinchingly bleak and desperate", "a gorgeous movie", "no")]


@pytest.mark.parametrize("batch_size", [1, 3])
def test_common_prefix_is_encoded_once_with_the_same_scores(lm, batch_size):
    model, tokenizer = lm
    encoded = encode_requests(tokenizer, FEW_SHOT)
    shared = score_requests(model, tokenizer, FEW_SHOT, batch_size=batch_size, min_common_prefix=4)
    plain = score_requests(model, tokenizer, FEW_SHOT, share_prefix=False)
    assert np.abs(np.array(shared.loglikelihoods) - np.array(plain.loglikelihoods)).max() < 1e-4
    for enc, values in zip(encoded, shared.loglikelihoods):
        assert values[1] == pytest.approx(direct(model, enc.context, enc.continuations[1]), abs=1e-4)


def test_common_prefix_length_leaves_every_context_a_token():
    from harness.prompting.loglikelihood import Encoded, _common_prefix_length

    same = [Encoded((1, 2, 3), ((4,),)), Encoded((1, 2, 3), ((5,),))]
    assert _common_prefix_length(same) == 2
    assert _common_prefix_length([Encoded((1, 2, 3, 9), ((4,),)), Encoded((1, 2, 7), ((5,),))]) == 2
    assert _common_prefix_length(same[:1]) == 0
