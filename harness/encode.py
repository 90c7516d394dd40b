"""Examples -> token ids, and batches of them -> padded tensors.

Token classification is labelled and predicted per word: the first sub-token of each
word carries the word's tag, every other position is -100 and ignored, and
`word_starts` maps words back to positions so predictions are read off per word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from transformers import PreTrainedTokenizerBase

from harness.tasks import kinds
from harness.tasks.example import Example

IGNORE = -100


@dataclass
class Features:
    input_ids: list[int]
    label: int | float | list[int] | None
    token_type_ids: list[int] | None = None
    word_starts: list[int] = field(default_factory=list)  # token classification: position per word, -1 if cut off
    # distillation: the teacher's log-probabilities (per word for token classification) or value (regression)
    teacher: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.input_ids)


def encode(examples: Sequence[Example], tokenizer: PreTrainedTokenizerBase, kind: str, max_length: int,
           is_decoder: bool, word_separator: str = " ") -> list[Features]:
    if kind == kinds.TOKEN_CLASSIFICATION:
        return _encode_words(examples, tokenizer, max_length, word_separator)
    return _encode_texts(examples, tokenizer, kind, max_length, is_decoder)


def _encode_texts(examples, tokenizer, kind, max_length, is_decoder) -> list[Features]:
    texts = [ex.text for ex in examples]
    # Pairs come with text-pair classification and with pair regression (STS-B).
    pairs = [ex.text_pair or "" for ex in examples] if any(ex.text_pair is not None for ex in examples) else None
    if pairs is not None and tokenizer.sep_token is None:
        # Decoder tokenizers have no pair template: a newline keeps the two texts apart.
        texts, pairs = [f"{a}\n{b}" for a, b in zip(texts, pairs)], None
    reserve = 1 if is_decoder else 0  # room for the EOS the last-token pooling reads
    encoded = tokenizer(texts, pairs, truncation=True, max_length=max_length - reserve)
    has_types = "token_type_ids" in encoded and not is_decoder
    features = []
    for i, example in enumerate(examples):
        ids = list(encoded["input_ids"][i])
        if is_decoder and tokenizer.eos_token_id is not None and (not ids or ids[-1] != tokenizer.eos_token_id):
            ids.append(tokenizer.eos_token_id)
        types = list(encoded["token_type_ids"][i]) + [0] * (len(ids) - len(encoded["token_type_ids"][i])) \
            if has_types else None
        features.append(Features(input_ids=ids, label=example.label, token_type_ids=types))
    return features


def _encode_words(examples, tokenizer, max_length, word_separator) -> list[Features]:
    # Byte-level BPE and sentencepiece tokenizers encode every pre-split word as if it began
    # the text; giving words after the first their separator back makes the ids those of the
    # running text (WordPiece drops the space).
    words = [[w if i == 0 else word_separator + w for i, w in enumerate(ex.words)] for ex in examples]
    encoded = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
    features = []
    for i, example in enumerate(examples):
        word_ids = encoded.word_ids(i)
        starts = [-1] * len(example.words)
        labels = [IGNORE] * len(word_ids)
        previous = None
        for position, word in enumerate(word_ids):
            if word is not None and word != previous:
                starts[word] = position
                labels[position] = example.tags[word] if example.tags is not None else IGNORE
            previous = word
        features.append(Features(input_ids=list(encoded["input_ids"][i]), label=labels, word_starts=starts))
    return features


def collate(batch: Sequence[Features], pad_id: int, kind: str) -> dict[str, torch.Tensor]:
    """Pad to the longest sequence of the batch (right padding; heads read the mask)."""
    width = max(len(f) for f in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    out: dict[str, torch.Tensor] = {}
    for row, f in enumerate(batch):
        ids[row, : len(f)] = torch.tensor(f.input_ids)
        mask[row, : len(f)] = 1
    out["input_ids"], out["attention_mask"] = ids, mask
    if batch[0].token_type_ids is not None:
        types = torch.zeros((len(batch), width), dtype=torch.long)
        for row, f in enumerate(batch):
            types[row, : len(f)] = torch.tensor(f.token_type_ids)
        out["token_type_ids"] = types
    if batch[0].label is not None:
        out["labels"] = _labels(batch, width, kind)
    if batch[0].teacher is not None:
        out.update(_teacher(batch, width, kind))
    return out


def _teacher(batch: Sequence[Features], width: int, kind: str) -> dict[str, torch.Tensor]:
    """The teacher's outputs as a batch; for token classification placed at each word's first sub-token, with
    a mask of the positions that have one (not a word, cut off, or past the teacher's max_length: none)."""
    if kind != kinds.TOKEN_CLASSIFICATION:
        return {"teacher": torch.stack([f.teacher for f in batch])}
    tags = batch[0].teacher.shape[-1]
    teacher = torch.zeros((len(batch), width, tags))
    mask = torch.zeros((len(batch), width), dtype=torch.bool)
    for row, f in enumerate(batch):
        for word, position in enumerate(f.word_starts):
            if position >= 0 and not bool(torch.isnan(f.teacher[word]).any()):
                teacher[row, position], mask[row, position] = f.teacher[word], True
    return {"teacher": teacher, "teacher_mask": mask}


def _labels(batch: Sequence[Features], width: int, kind: str) -> torch.Tensor:
    if kind == kinds.TOKEN_CLASSIFICATION:
        labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
        for row, f in enumerate(batch):
            labels[row, : len(f.label)] = torch.tensor(f.label)
        return labels
    dtype = torch.float32 if kind == kinds.REGRESSION else torch.long
    return torch.tensor([f.label for f in batch], dtype=dtype)
