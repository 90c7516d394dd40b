"""Load a model for prompting, and pick how it scores choices.

Causal language models score by log-likelihood; masked language models with a trained
masked-LM head by cloze; other encoders (sentence encoders) by similarity to label
descriptions. Asking a model for a scorer it cannot do is refused before scoring.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMaskedLM,
    PreTrainedTokenizerBase,
)

from harness.errors import HarnessError
from harness.models.load import is_causal_decoder, load_tokenizer
from harness.scale.backbone import check_model_supports, pretrained_kwargs
from harness.scale.settings import BackboneSettings

SCORERS = ("auto", "loglikelihood", "cloze", "similarity")


@dataclass
class PromptModel:
    model: torch.nn.Module
    tokenizer: PreTrainedTokenizerBase
    scorer: str  # loglikelihood, cloze or similarity
    context_limit: int  # the most tokens one input may have
    parameters: int


def load_prompt_model(path: str, scorer: str = "auto", device: str | torch.device = "cpu",
                      dtype: torch.dtype = torch.float32, attention: str | None = None) -> PromptModel:
    if scorer not in SCORERS:
        raise HarnessError(f"unknown scorer '{scorer}' (valid: {', '.join(SCORERS)})")
    try:
        config = AutoConfig.from_pretrained(path)
    except OSError as exc:
        raise HarnessError(f"model {path}: cannot load its config ({str(exc).strip().splitlines()[0]})") from None
    causal = is_causal_decoder(config)
    if causal and scorer not in ("auto", "loglikelihood"):
        raise HarnessError(f"model {path} is a causal language model: it scores prompts by log-likelihood, "
                           f"not {scorer} (use --zero-shot-scorer loglikelihood or auto)")
    if not causal and scorer == "loglikelihood":
        raise HarnessError(f"model {path} is not a causal language model, so it cannot score by log-likelihood; "
                           "use --zero-shot-scorer cloze (masked LMs) or similarity (sentence encoders)")
    settings = BackboneSettings(attention=attention)
    check_model_supports(settings, config, path)
    kwargs = {"dtype": dtype, **pretrained_kwargs(settings)}
    tokenizer = load_tokenizer(path)
    if causal:
        model, info = AutoModelForCausalLM.from_pretrained(path, output_loading_info=True, **kwargs)
        untrained_head = [name for name in info.get("missing_keys", ()) if not name.startswith(_backbone_prefix(model))]
        if untrained_head:  # a bare backbone: transformers would score with a random head
            raise HarnessError(f"model {path} has no trained language-model head ({len(untrained_head)} head weights "
                               "missing from its files), so log-likelihoods would be random; prompt a causal LM "
                               "checkpoint, or fine-tune this one with --method lora")
        chosen = "loglikelihood"
    else:
        model, chosen = _encoder(path, scorer, kwargs)
    model.to(device).eval()
    limit = min(getattr(config, "max_position_embeddings", None) or 10**9,
                tokenizer.model_max_length if tokenizer.model_max_length < 10**8 else 10**9)
    return PromptModel(model=model, tokenizer=tokenizer, scorer=chosen, context_limit=int(limit),
                       parameters=sum(p.numel() for p in model.parameters()))


def _encoder(path: str, scorer: str, kwargs: dict):
    if scorer in ("auto", "cloze"):
        model, info = AutoModelForMaskedLM.from_pretrained(path, output_loading_info=True, **kwargs)
        untrained_head = [name for name in info.get("missing_keys", ()) if not name.startswith(_backbone_prefix(model))]
        if not untrained_head:
            return model, "cloze"
        if scorer == "cloze":
            raise HarnessError(f"model {path} has no trained masked-LM head ({len(untrained_head)} head weights "
                               "missing from its files), so cloze scores would be random; use --zero-shot-scorer "
                               "similarity")
    return AutoModel.from_pretrained(path, **kwargs), "similarity"


def _backbone_prefix(model) -> str:
    return f"{model.base_model_prefix}." if getattr(model, "base_model_prefix", "") else "\0"
