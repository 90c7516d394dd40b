"""Tiny models built from a config (random weights), saved as ordinary model folders.

They exercise every code path in seconds: an encoder (BERT) and a decoder (Llama),
each with a real fast tokenizer trained here on a few sentences.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
from transformers import (
    BertConfig,
    BertForMaskedLM,
    BertModel,
    LlamaConfig,
    LlamaForCausalLM,
    LlamaModel,
    PreTrainedTokenizerFast,
)

CORPUS = [
    "the film is a charming and often affecting journey",
    "unflinchingly bleak and desperate",
    "a gorgeous , witty , seductive movie",
    "the acting , costumes , music , cinematography and sound are all astounding",
    "it is a mess of a movie",
    "Peter Blackburn went to Brussels for the European Commission meeting",
    "Japan won the match against China in Tokyo on Friday",
    "花呗 支持 高铁票 支付 吗 我 的 蚂蚁 花呗 额度",
]


def _tokenizer(folder: Path, encoder: bool) -> PreTrainedTokenizerFast:
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] if encoder else ["<pad>", "<unk>", "<s>", "</s>"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]") if encoder else models.BPE(unk_token="<unk>"))
    tokenizer.normalizer = normalizers.Lowercase() if encoder else None
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer_cls = trainers.WordPieceTrainer if encoder else trainers.BpeTrainer
    tokenizer.train_from_iterator(CORPUS * 5, trainer_cls(vocab_size=300, special_tokens=special))
    if encoder:
        cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
        tokenizer.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
        fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="[PAD]", unk_token="[UNK]",
                                       cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    else:
        fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<s>",
                                       eos_token="</s>")  # no pad token, as with real decoders
    fast.save_pretrained(folder)
    return fast


def tiny_encoder(folder: Path, masked_lm: bool = False) -> Path:
    """A BERT backbone; with `masked_lm`, with its masked-LM head (cloze scoring)."""
    tokenizer = _tokenizer(folder, encoder=True)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id)
    (BertForMaskedLM if masked_lm else BertModel)(config).save_pretrained(folder)
    return folder


def tiny_decoder(folder: Path, causal_lm: bool = False) -> Path:
    """A Llama backbone; with `causal_lm`, with its language-model head (log-likelihood scoring)."""
    tokenizer = _tokenizer(folder, encoder=False)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         num_key_value_heads=2, intermediate_size=64, max_position_embeddings=512,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    (LlamaForCausalLM if causal_lm else LlamaModel)(config).save_pretrained(folder)
    return folder


def write_model_folder(folder: Path) -> None:
    """A folder that looks like a model folder (a config.json) without weights: for resolving, not loading."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "fake"}')
