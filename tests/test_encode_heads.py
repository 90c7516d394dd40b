"""Tokenisation alignment and heads, on tiny models built from a config."""

from __future__ import annotations

import pytest
import torch

from harness.encode import IGNORE, collate, encode
from harness.models.heads import pool
from harness.models.load import load_task_model
from harness.tasks import kinds
from harness.tasks.example import Example

WORDS = Example(id="t-0", words=("Peter", "Blackburn", "went", "to", "Brussels"), tags=(1, 2, 0, 0, 3))


@pytest.mark.parametrize("model_fixture", ["encoder_dir", "decoder_dir"])
def test_token_labels_sit_on_first_subtoken_of_each_word(model_fixture, request):
    loaded = load_task_model(str(request.getfixturevalue(model_fixture)), kinds.TOKEN_CLASSIFICATION, 5)
    (features,) = encode([WORDS], loaded.tokenizer, kinds.TOKEN_CLASSIFICATION, 64, loaded.is_decoder)
    assert len(features.word_starts) == len(WORDS.words)
    assert [features.label[p] for p in features.word_starts] == list(WORDS.tags)
    labelled = [i for i, label in enumerate(features.label) if label != IGNORE]
    assert labelled == features.word_starts  # nothing else carries a label


def test_words_past_max_length_are_marked_cut_off(encoder_dir):
    loaded = load_task_model(str(encoder_dir), kinds.TOKEN_CLASSIFICATION, 5)
    (features,) = encode([WORDS], loaded.tokenizer, kinds.TOKEN_CLASSIFICATION, 4, loaded.is_decoder)
    assert features.word_starts[-1] == -1 and features.word_starts[0] >= 0


def test_decoder_sequences_end_with_eos_and_pairs_keep_both_texts(decoder_dir):
    loaded = load_task_model(str(decoder_dir), kinds.TEXT_PAIR_CLASSIFICATION, 3)
    example = Example(id="p-0", text="the film is charming", text_pair="a mess", label=1)
    (features,) = encode([example], loaded.tokenizer, kinds.TEXT_PAIR_CLASSIFICATION, 64, loaded.is_decoder)
    assert features.input_ids[-1] == loaded.tokenizer.eos_token_id
    text = loaded.tokenizer.decode(features.input_ids)
    assert "charming" in text and "mess" in text


def test_collate_pads_right_and_masks(encoder_dir):
    loaded = load_task_model(str(encoder_dir), kinds.TEXT_CLASSIFICATION, 2)
    examples = [Example(id="a", text="the film", label=1), Example(id="b", text="a gorgeous witty movie", label=0)]
    features = encode(examples, loaded.tokenizer, kinds.TEXT_CLASSIFICATION, 64, loaded.is_decoder)
    batch = collate(features, loaded.tokenizer.pad_token_id, kinds.TEXT_CLASSIFICATION)
    assert batch["attention_mask"].sum(dim=1).tolist() == [len(f) for f in features]
    assert batch["labels"].tolist() == [1, 0]


def test_pooling_ignores_padding_on_either_side():
    hidden = torch.arange(2 * 4 * 1, dtype=torch.float32).reshape(2, 4, 1)
    right = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]])
    left = torch.tensor([[0, 0, 1, 1], [1, 1, 1, 1]])
    assert pool(hidden, right, "last")[:, 0].tolist() == [1.0, 7.0]
    assert pool(hidden, left, "last")[:, 0].tolist() == [3.0, 7.0]
    assert pool(hidden, right, "mean")[:, 0].tolist() == [0.5, 5.5]
    assert pool(hidden, right, "cls")[:, 0].tolist() == [0.0, 4.0]


@pytest.mark.parametrize("kind,labels", [(kinds.TEXT_CLASSIFICATION, 2), (kinds.REGRESSION, 1),
                                         (kinds.TOKEN_CLASSIFICATION, 5)])
@pytest.mark.parametrize("model_fixture", ["encoder_dir", "decoder_dir"])
def test_every_kind_gets_a_head_and_a_loss(kind, labels, model_fixture, request):
    loaded = load_task_model(str(request.getfixturevalue(model_fixture)), kind, labels)
    assert loaded.model.pooling == ("last" if model_fixture == "decoder_dir" else "mean")
    if kind == kinds.TOKEN_CLASSIFICATION:
        examples = [WORDS]
    else:
        examples = [Example(id="a", text="the film is charming", label=1.5 if kind == kinds.REGRESSION else 1)]
    features = encode(examples, loaded.tokenizer, kind, 64, loaded.is_decoder)
    output = loaded.model(**collate(features, loaded.tokenizer.pad_token_id, kind))
    assert torch.isfinite(output.loss)
    expected_width = 1 if kind == kinds.REGRESSION else labels
    assert output.logits.shape[-1] == expected_width


def test_decoder_refuses_mean_pooling(decoder_dir):
    from harness.errors import HarnessError

    with pytest.raises(HarnessError, match="causal decoder"):
        load_task_model(str(decoder_dir), kinds.TEXT_CLASSIFICATION, 2, pooling="mean")


@pytest.mark.parametrize("kind", [kinds.TEXT_PAIR_CLASSIFICATION, kinds.REGRESSION])
def test_both_texts_of_a_pair_are_encoded(encoder_dir, kind):
    loaded = load_task_model(str(encoder_dir), kind, 2)
    example = Example(id="p-0", text="the film is charming", text_pair="a mess", label=1)
    (features,) = encode([example], loaded.tokenizer, kind, 64, loaded.is_decoder)
    text = loaded.tokenizer.decode(features.input_ids)
    assert "charming" in text and "mess" in text


def test_regression_targets_are_learnt_standardised(encoder_dir):
    loaded = load_task_model(str(encoder_dir), kinds.REGRESSION, 1)
    loaded.model.set_target_scale([1.0, 3.0, 5.0])
    examples = [Example(id="a", text="the film", label=3.0)]
    batch = collate(encode(examples, loaded.tokenizer, kinds.REGRESSION, 32, False), loaded.tokenizer.pad_token_id,
                    kinds.REGRESSION)
    loaded.model.eval()
    output = loaded.model(**batch)
    raw = (output.logits - 3.0) / 2.0  # back to the standardised head output
    assert torch.allclose(output.loss, (raw.squeeze(-1) - 0.0) ** 2)
    assert abs(float(output.logits) - 3.0) < 1.0  # an untrained head predicts near the mean
