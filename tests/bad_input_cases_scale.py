"""The catalogue's cases for the backbone of large models (tests/test_bad_input_catalogue.py joins them to CASES):
a quantized base (QLoRA), gradient checkpointing and the attention kernel (harness.scale)."""

from __future__ import annotations

import importlib.util
import json

import torch
from bad_input_cases import TASK, Case, World, cmd, prompt, run, with_setup

from harness.errors import BAD_INPUT

NO_SDPA_MODEL = "mpnet-config"  # MPNet: transformers gives it neither an sdpa kernel nor gradient checkpointing


def cuda_without(*packages: str):
    """A machine that has a CUDA device but not these packages (so the package check is what answers)."""
    def setup(w: World) -> None:
        w.monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        w.monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
        real = importlib.util.find_spec
        w.monkeypatch.setattr(importlib.util, "find_spec",
                              lambda name, *args: None if name in packages else real(name, *args))
    return setup


def model_without_kernels(w: World) -> None:
    """Only a config: the refusal comes from it, before any tokenizer or weights would load."""
    config = {"model_type": "mpnet", "vocab_size": 300, "hidden_size": 32, "num_hidden_layers": 2,
              "num_attention_heads": 2, "intermediate_size": 64}
    w.write(f"{NO_SDPA_MODEL}/config.json", json.dumps(config))


def sweep_file(text: str) -> str:
    return f"models: [minilm]\nmethods: [lora]\ntasks: [{TASK}]\n{text}"


SCALE_CASES = [
    # -- a quantized base (QLoRA): which methods, which machine, which package ----------------------------
    Case("quantize-base-on-cpu", run("--method", "lora", "--quantize-base", "4bit", "--device", "cpu"), BAD_INPUT,
         "--quantize-base 4bit runs on CUDA only", "leave it out"),
    Case("quantize-base-with-full", run("--quantize-base", "4bit"), BAD_INPUT,
         "does not apply to --method full: it trains every weight of the base",
         "use it with lora, dora, adalora, ia3"),
    Case("quantize-base-method-without-adapters", run("--method", "bitfit", "--quantize-base", "8bit"), BAD_INPUT,
         "--method bitfit", "use it with lora, dora, adalora, ia3"),
    Case("quantize-base-with-prompting", prompt("--quantize-base", "4bit"), BAD_INPUT, "--method zero-shot",
         "use it with lora"),
    Case("quantize-base-unknown", run("--method", "lora", "--quantize-base", "3bit"), BAD_INPUT, "'3bit'",
         "'4bit', '8bit'"),
    Case("quantize-base-without-bitsandbytes", with_setup(cuda_without("bitsandbytes"), run(
        "--method", "lora", "--quantize-base", "4bit", "--device", "cuda")), BAD_INPUT,
         "needs bitsandbytes, which is not installed", "pip install 'harness[qlora]'"),
    # -- the attention kernel ----------------------------------------------------------------------------
    Case("attention-unknown", run("--attention", "flash"), BAD_INPUT, "'flash'", "'sdpa', 'eager'"),
    Case("attention-flash-on-cpu", run("--attention", "flash_attention_2", "--device", "cpu"), BAD_INPUT,
         "--attention flash_attention_2 runs on CUDA only", "use --attention sdpa"),
    Case("attention-flash-not-installed", with_setup(cuda_without("flash_attn"), run(
        "--attention", "flash_attention_2", "--device", "cuda")), BAD_INPUT, "needs the flash-attn package",
         "pip install flash-attn"),
    Case("attention-not-in-model", with_setup(model_without_kernels, run(
        "--model", NO_SDPA_MODEL, "--attention", "sdpa", "--seed", "2")), BAD_INPUT,
         "(MPNetModel) has no such kernel", "use --attention eager"),
    Case("attention-not-in-model-sweep-file", with_setup(model_without_kernels, lambda w: [
        "sweep", "--file", w.write("sweep.yaml", f"models: [{NO_SDPA_MODEL}]\nmethods: [lora]\ntasks: [{TASK}]\n"
                                   "attention: sdpa\n"), "--dry-run"]), BAD_INPUT, "(MPNetModel) has no such kernel",
         "use --attention eager"),
    Case("attention-in-sweep-file", with_setup(lambda w: w.write("sweep.yaml", sweep_file("attention: fast\n")), cmd(
        "sweep", "--file", "sweep.yaml", "--dry-run")), BAD_INPUT, "--attention fast",
         "expected one of sdpa, eager, flash_attention_2"),
    # -- gradient checkpointing --------------------------------------------------------------------------
    Case("checkpointing-not-in-model", with_setup(model_without_kernels, run(
        "--model", NO_SDPA_MODEL, "--gradient-checkpointing", "--seed", "2")), BAD_INPUT,
         "(MPNetModel) does not support gradient checkpointing", "leave the flag out"),
    Case("checkpointing-not-in-model-sweep-dry-run", with_setup(model_without_kernels, cmd(
        "sweep", "--models", NO_SDPA_MODEL, "--methods", "full", "--tasks", TASK, "--gradient-checkpointing",
        "--dry-run")), BAD_INPUT, f"model {NO_SDPA_MODEL}: --gradient-checkpointing: model {NO_SDPA_MODEL} "
         "(MPNetModel) does not support", "leave the flag out"),
    Case("checkpointing-with-prefix-tuning", run("--method", "prefix", "--gradient-checkpointing"), BAD_INPUT,
         "--method prefix: peft's prefix tuning refuses it", "use prompt or ptuning, or leave the flag out"),
    Case("checkpointing-with-prompting", prompt("--gradient-checkpointing"), BAD_INPUT,
         "--gradient-checkpointing does not apply to --method zero-shot", "leave the flag out"),
    Case("checkpointing-in-sweep-file-not-a-bool", with_setup(
        lambda w: w.write("sweep.yaml", sweep_file("gradient_checkpointing: sometimes\n")), cmd(
            "sweep", "--file", "sweep.yaml", "--dry-run")), BAD_INPUT, "gradient_checkpointing must be true or false",
         "'sometimes'"),
]
