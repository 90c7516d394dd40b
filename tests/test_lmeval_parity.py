"""The harness's zero-shot log-likelihoods equal lm-evaluation-harness's on the same prompt and examples."""

from __future__ import annotations

import numpy as np
import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer

from harness.prompt_spread.registry import apply_format
from harness.prompting.demonstrations import build_context
from harness.prompting.loglikelihood import Request, score_requests
from harness.tasks import Example
from harness.tasks.prompts import Prompt

pytest.importorskip("lm_eval")
from lmeval_reference import lmeval_loglikelihoods  # noqa: E402

PROMPT = Prompt(name="default", template="{{text}}\nQuestion: Is this sentence positive or negative?\nAnswer:",
                choices=("negative", "positive"), target_delimiter=" ", demo_separator="\n\n", instruction="",
                headline_scoring="sum", descriptions=("negative", "positive"),
                synonyms=(("bad", "unfavorable"), ("good", "favorable")))
TEXTS = ["the film is a charming and often affecting journey", "unflinchingly bleak and desperate",
         "a gorgeous , witty , seductive movie", "it is a mess of a movie",
         "the acting , costumes , music , cinematography and sound are all astounding"]


def _examples_and_demos(shots: int) -> tuple[list[Example], list[Example]]:
    examples = [Example(id=f"validation-{i}", text=text, label=i % 2, fields={"sentence": text})
                for i, text in enumerate(TEXTS)]
    # lm-eval leaves a demonstration equal to the scored document out of its pool: use other texts
    demos = [Example(id=f"train-{i}", text=text, label=1 - i % 2, fields={"sentence": text})
             for i, text in enumerate(["a witty and gorgeous film", "the acting is a mess"][:shots])]
    return examples, demos


def _both(causal_lm_dir, tmp_path, prompt: Prompt, batch_size: int, shots: int):
    """The harness's choice log-likelihoods, lm-eval's reference, and the examples they scored."""
    model = AutoModelForCausalLM.from_pretrained(causal_lm_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(causal_lm_dir)
    examples, demos = _examples_and_demos(shots)
    requests = [Request(build_context(prompt, e, demos), tuple(prompt.answer(j) for j in range(2)))
                for e in examples]
    ours = np.array(score_requests(model, tokenizer, requests, min_common_prefix=4).loglikelihoods)
    reference = lmeval_loglikelihoods(model, tokenizer, prompt, examples, batch_size=batch_size, workdir=tmp_path,
                                      demonstrations=demos)
    return ours, reference, examples


@pytest.mark.parametrize("batch_size, shots", [(1, 0), (4, 0), (4, 2)])
def test_loglikelihoods_and_accuracy_match_lm_eval(causal_lm_dir, tmp_path, batch_size, shots):
    ours, reference, examples = _both(causal_lm_dir, tmp_path, PROMPT, batch_size, shots)
    assert np.abs(ours - np.array(reference.loglikelihoods)).max() < 1e-3
    accuracy = float(np.mean(ours.argmax(axis=1) == np.array([e.label for e in examples])))
    assert accuracy == reference.accuracy


@pytest.mark.parametrize("name, shots", [("cue=output+colon=dash+separator=bar", 0),
                                         ("labels=synonyms-1+spacing=tight+case=lower", 0),
                                         ("labels=synonyms-2+cue=a+separator=double-newline", 2)])
def test_format_variants_match_lm_eval_too(causal_lm_dir, tmp_path, name, shots):
    """Every format variant is a plain template, choices and delimiter: lm-eval scores it from the same text."""
    ours, reference, _ = _both(causal_lm_dir, tmp_path, apply_format(name, PROMPT), 4, shots)
    assert np.abs(ours - np.array(reference.loglikelihoods)).max() < 1e-3
