"""Throughput arithmetic for the scale benchmark (benchmarks/train_scale.py): tokens per second from update
timestamps, model FLOPs utilisation against a GPU's named dense bf16 peak, and parameter counts of the
benchmark's Llama-style configurations, counted on the meta device (no memory, no weights).

MFU here is 6 x N x tokens/s / peak, with N the parameters that multiply: every backbone weight except the
input embedding (a lookup, no multiplications), plus the task head. 6N ignores attention's own FLOPs (the
score and value products, which grow with the sequence length) and overcounts methods with a frozen base
(LoRA, QLoRA): those compute no weight gradients for the base, about a third of 6N.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import torch

# Llama-form shapes of public models (their own configs; Qwen2.5's attention biases left out), and a tiny one
# for tests. Random weights: speed and memory do not depend on what the weights are.
CONFIGS: dict[str, dict] = {
    "tiny": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2, "vocab_size": 1000},
    "0.5b": {"hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
             "num_key_value_heads": 2, "vocab_size": 151936, "rope_theta": 1e6, "tie_word_embeddings": True},
    "1b": {"hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32,
           "num_key_value_heads": 8, "vocab_size": 128256, "rope_theta": 5e5, "tie_word_embeddings": True},
    "3b": {"hidden_size": 3072, "intermediate_size": 8192, "num_hidden_layers": 28, "num_attention_heads": 24,
           "num_key_value_heads": 8, "vocab_size": 128256, "rope_theta": 5e5, "tie_word_embeddings": True},
    "8b": {"hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
           "num_key_value_heads": 8, "vocab_size": 128256, "rope_theta": 5e5},
}
SHAPES_OF = {"0.5b": "Qwen2.5-0.5B", "1b": "Llama-3.2-1B", "3b": "Llama-3.2-3B", "8b": "Llama-3.1-8B", "tiny": "test"}


@dataclass(frozen=True)
class Peak:
    name: str
    flops: float  # dense bf16, per second
    source: str


# Dense (no structured sparsity) bf16 tensor-core peaks from NVIDIA's datasheets, which print the sparse figure
# (twice these) with an asterisk. Matched against torch.cuda.get_device_name() in this order.
NAMED_PEAKS: tuple[tuple[str, Peak], ...] = (
    (r"H100.*PCIe", Peak("H100 PCIe", 756e12, "NVIDIA H100 datasheet (PCIe): 1,513 TFLOPS bf16 with sparsity")),
    (r"H1[02]0.*NVL", Peak("H100/H200 NVL", 835e12, "NVIDIA H100 NVL / H200 NVL datasheets: 1,671 TFLOPS "
                                                   "bf16 with sparsity")),
    (r"H100", Peak("H100 SXM", 989e12, "NVIDIA H100 datasheet (SXM): 1,979 TFLOPS bf16 with sparsity")),
    (r"H200", Peak("H200 SXM", 989e12, "NVIDIA H200 datasheet (SXM): 1,979 TFLOPS bf16 with sparsity")),
    (r"A100", Peak("A100", 312e12, "NVIDIA A100 datasheet: 312 TFLOPS bf16 dense")),
    (r"L40S", Peak("L40S", 362e12, "NVIDIA L40S datasheet: 733 TFLOPS bf16 with sparsity")),
    (r"\bL4\b", Peak("L4", 121e12, "NVIDIA L4 datasheet: 242 TFLOPS bf16 with sparsity")),
)


def named_peak(device_name: str | None, override_tflops: float | None = None) -> Peak | None:
    """The dense bf16 peak to divide by: `override_tflops` when given, else the named GPU's; None when unknown
    (a CPU, or a GPU not in the table): MFU is then not available."""
    if override_tflops is not None:
        return Peak(device_name or "given", override_tflops * 1e12, "--peak-tflops")
    if not device_name:
        return None
    for pattern, peak in NAMED_PEAKS:
        if re.search(pattern, device_name):
            return peak
    return None


def tokens_per_second(stamps: Sequence[float], tokens_per_update: int, warmup: int) -> float:
    """From the clock read after each optimiser update: the first `warmup` updates are not timed, and the
    time runs from the end of the last of them to the end of the last update."""
    if warmup < 1 or len(stamps) <= warmup:
        raise ValueError(f"need at least one warm-up update and one timed update, got {len(stamps)} stamps and "
                         f"warmup {warmup}")
    seconds = stamps[-1] - stamps[warmup - 1]
    return (len(stamps) - warmup) * tokens_per_update / seconds


def mfu(flop_parameters: int, tokens_per_s: float, peak: Peak | None) -> float | None:
    """6 x N x tokens/s / peak, a share (0.4 is 40%); None without a peak."""
    return None if peak is None else 6 * flop_parameters * tokens_per_s / peak.flops


@dataclass(frozen=True)
class ParameterCount:
    total: int  # every backbone weight and the head
    embedding: int  # the input embedding
    head: int

    @property
    def flop_parameters(self) -> int:
        """Those that multiply: the total less the input embedding (MFU's N)."""
        return self.total - self.embedding


def count_parameters(config, num_labels: int = 2) -> ParameterCount:
    """Parameters of the backbone `config` builds (AutoModel, no LM head) and a classification head, counted on
    the meta device."""
    from transformers import AutoModel

    with torch.device("meta"):
        backbone = AutoModel.from_config(config)
    total = sum(p.numel() for p in backbone.parameters())  # parameters() yields a tied tensor once
    head = config.hidden_size * num_labels + num_labels
    return ParameterCount(total + head, backbone.get_input_embeddings().weight.numel(), head)


def llama_config(name: str):
    """The named configuration as a transformers LlamaConfig."""
    from transformers import LlamaConfig

    return LlamaConfig(**CONFIGS[name])
