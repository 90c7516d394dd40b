"""A result is only recorded when it is one: non-finite outputs fail the run, and nothing non-finite is ever
written as JSON."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from harness.encode import Features
from harness.errors import RunFailed
from harness.predict import predict
from harness.record import strict_json
from harness.tasks import kinds


class Diverged(nn.Module):
    """Logits of two classes, NaN for the examples whose first token is 7."""

    def forward(self, input_ids, attention_mask, **_):
        logits = torch.zeros(len(input_ids), 2)
        logits[input_ids[:, 0] == 7] = math.nan
        return SimpleNamespace(logits=logits)


def _features(first_tokens):
    return [Features(input_ids=[token, 1, 2], label=0) for token in first_tokens]


def test_finite_outputs_predict_and_non_finite_ones_fail_the_run_naming_the_fix():
    assert predict(Diverged(), _features([1, 2, 3]), kind=kinds.TEXT_CLASSIFICATION, pad_id=0,
                   batch_size=2).values == [0, 0, 0]
    with pytest.raises(RunFailed, match=r"not finite \(NaN or infinite\) for 1 of 2 examples.*lower --lr"):
        predict(Diverged(), _features([1, 7, 3]), kind=kinds.TEXT_CLASSIFICATION, pad_id=0, batch_size=2)


def test_records_and_json_output_are_strict_json():
    record = {"costs": {"examples_per_second": math.nan, "peak": math.inf}, "values": [1.5, -math.inf],
              "kept": 0.25, "text": "nan"}
    text = strict_json.dumps(record, indent=2)
    assert json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} written")) == {
        "costs": {"examples_per_second": None, "peak": None}, "values": [1.5, None], "kept": 0.25, "text": "nan"}
