"""One measurement of benchmarks/train_scale.py, run in a fresh process: build the cell's model, train it
through one loop (the harness, a plain PyTorch loop or the Hugging Face Trainer), or find the largest batch
that fits; return the update timestamps and the peak memory. See train_scale.py for what is measured."""

from __future__ import annotations

import contextlib
import gc
import math
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import psutil
import torch
from torch import nn
from torch.utils.data import DataLoader
from transformers import get_linear_schedule_with_warmup

from harness.encode import Features, collate
from harness.errors import RunFailed
from harness.methods import get_method
from harness.models.heads import TaskModel
from harness.scale.backbone import (
    enable_checkpointing,
    prepare_backbone,
    pretrained_kwargs,
)
from harness.scale.settings import BackboneSettings
from harness.scale.throughput import llama_config
from harness.train.loop import make_accelerator, train
from harness.train.memory import _peak_rss_bytes, reset_peak_rss

KIND = "classification"


@contextlib.contextmanager
def default_dtype(dtype: torch.dtype):
    before = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def base_dtype(method: str, cuda: bool) -> torch.dtype:
    """Full fine-tuning keeps fp32 weights (bf16 autocast on CUDA); LoRA's frozen base is held in bf16 on CUDA
    (an fp32 8B base alone is 32 GB); on CPU everything is fp32 (CPU bf16 matmuls are slow)."""
    return torch.bfloat16 if cuda and method == "lora" else torch.float32


def saved_random_model(job: dict[str, Any]) -> Path:
    """The cell's random model saved once (bf16) so that QLoRA can load it through from_pretrained."""
    folder = Path(job["cache_dir"]) / f"{job['config']}-seed{job['seed']}"
    if not (folder / "config.json").exists():
        with default_dtype(torch.bfloat16):
            backbone = random_backbone(job, "cuda")
        partial_folder = folder.with_name(folder.name + ".partial")  # renamed once whole: no half-saved base
        backbone.save_pretrained(partial_folder)
        partial_folder.rename(folder)
        del backbone
        torch.cuda.empty_cache()
    return folder


def random_backbone(job: dict[str, Any], device: str) -> nn.Module:
    from transformers import LlamaModel

    torch.manual_seed(job["seed"])
    with torch.device(device):
        return LlamaModel(llama_config(job["config"]))


def build_model(job: dict[str, Any], cuda: bool) -> nn.Module:
    """The harness's TaskModel over the cell's backbone, with the cell's method and checkpointing applied."""
    device = "cuda" if cuda else "cpu"
    method = get_method("lora" if job["method"] == "qlora" else job["method"])
    if job["method"] == "qlora":
        from transformers import AutoModel

        from harness.models.sources import resolve_model
        settings = BackboneSettings(quantize_base="4bit")
        path = resolve_model(job["model"]).path if job["model"] else saved_random_model(job)
        backbone = AutoModel.from_pretrained(path, **pretrained_kwargs(settings))
        prepare_backbone(backbone, settings)
    elif job["model"]:
        from transformers import AutoModel

        from harness.models.sources import resolve_model
        backbone = AutoModel.from_pretrained(resolve_model(job["model"]).path, dtype=base_dtype(job["method"], cuda))
        backbone.to(device)
        if not cuda:  # weights in memory of their own, not pages of the mapped file: in the RSS before training
            for parameter in backbone.parameters():
                parameter.data = parameter.data.clone()
    else:
        with default_dtype(base_dtype(job["method"], cuda)):
            backbone = random_backbone(job, device)
    if job["checkpointing"]:
        enable_checkpointing(backbone)
    torch.manual_seed(job["seed"])
    model = TaskModel(backbone, kind=KIND, num_labels=2, pooling="last")
    (model.head if job["method"] == "qlora" else model).to(device)  # a quantized base is placed where it loaded
    options = method.resolve_options({})
    method.check(model, KIND, options)
    return method.prepare(model, options, job["warmup"] + job["steps"])


def random_features(job: dict[str, Any], vocab_size: int, examples: int) -> list[Features]:
    generator = torch.Generator().manual_seed(job["seed"])
    ids = torch.randint(1, vocab_size, (examples, job["seq_len"]), generator=generator)
    labels = torch.randint(0, 2, (examples,), generator=generator)
    return [Features(input_ids=row.tolist(), label=int(label)) for row, label in zip(ids, labels)]


def training_config(job: dict[str, Any], batch_size: int) -> dict[str, Any]:
    lr = get_method("lora" if job["method"] == "qlora" else job["method"]).training_defaults.get("lr", 1e-4)
    return {"batch_size": batch_size, "lr": lr, "weight_decay": 0.01, "grad_accum": 1, "epochs": 1,
            "warmup_ratio": 0.0, "max_grad_norm": 1.0, "patience": 1}


class Clock:
    """The time after each optimiser update, once the GPU has finished it."""

    def __init__(self, cuda: bool):
        self.cuda, self.stamps = cuda, []

    def __call__(self, *_: Any) -> None:
        if self.cuda:
            torch.cuda.synchronize()
        self.stamps.append(time.perf_counter())


def harness_loop(model, features, job, cuda, clock) -> dict[str, Any]:
    accelerator = make_accelerator("cuda" if cuda else "cpu", 1)
    result = train(model, features, kind=KIND, pad_id=0, config=training_config(job, job["batch_size"]),
                   seed=job["seed"], select=lambda _: 0.0, accelerator=accelerator, after_update=clock,
                   show_progress=False)
    accelerator.free_memory()  # the accelerator holds the prepared model and optimiser until told otherwise
    return {"batch_size_used": result.batch_size, "notes": result.notes}


def plain_loop(model, features, job, cuda, clock) -> dict[str, Any]:
    """Forward, backward, clip, AdamW, linear schedule; bf16 autocast on CUDA as accelerate's mixed precision."""
    generator = torch.Generator().manual_seed(job["seed"])
    loader = DataLoader(features, batch_size=job["batch_size"], shuffle=True, generator=generator,
                        collate_fn=partial(collate, pad_id=0, kind=KIND))
    config = training_config(job, job["batch_size"])
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config["lr"],
                                  weight_decay=config["weight_decay"])
    scheduler = get_linear_schedule_with_warmup(optimizer, 0, len(loader))
    device = torch.device("cuda" if cuda else "cpu")
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if cuda else contextlib.nullcontext()
    model.train()
    for batch in loader:
        batch = {k: v.to(device) for k, v in batch.items()}
        with autocast:
            loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config["max_grad_norm"])
        optimizer.step()
        scheduler.step()
        clock()
        optimizer.zero_grad()
    return {}


class LossOnly(nn.Module):
    """What the Trainer expects of a model: a forward returning {"loss": ...}."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, **batch):
        return {"loss": self.model(**batch).loss}


def trainer_loop(model, features, job, cuda, clock) -> dict[str, Any]:
    from transformers import Trainer, TrainerCallback, TrainingArguments

    class Stamp(TrainerCallback):
        def on_step_end(self, *_, **__):
            clock()

    config = training_config(job, job["batch_size"])
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, max_steps=len(features) // job["batch_size"],
                                 per_device_train_batch_size=job["batch_size"], learning_rate=config["lr"],
                                 weight_decay=config["weight_decay"], max_grad_norm=config["max_grad_norm"],
                                 lr_scheduler_type="linear", warmup_steps=0, bf16=cuda, use_cpu=not cuda,
                                 report_to="none", save_strategy="no", logging_strategy="no", disable_tqdm=True,
                                 dataloader_num_workers=0, seed=job["seed"], remove_unused_columns=False)
        trainer = Trainer(model=LossOnly(model), args=args, train_dataset=features,
                          data_collator=partial(collate, pad_id=0, kind=KIND), callbacks=[Stamp()])
        trainer.train()
        trainer.accelerator.free_memory()
    return {"optim": str(args.optim)}


LOOPS = {"harness": harness_loop, "plain": plain_loop, "trainer": trainer_loop}


def measure(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Each of the job's loops in turn on a freshly built model (the same seed: the same initial weights): update
    timestamps and peak memory, or status 'oom'."""
    cuda = torch.cuda.is_available()
    return [measure_one({**job, "loop": loop}, cuda) for loop in job["loops"]]


def measure_one(job: dict[str, Any], cuda: bool) -> dict[str, Any]:
    model = None
    try:
        model = build_model(job, cuda)
        features = random_features(job, model.config.vocab_size, job["batch_size"] * (job["warmup"] + job["steps"]))
        if job["loop"] == "largest_batch":
            return {"loop": job["loop"], "status": "ok", "largest_batch": largest_batch(model, job)}
        clock = Clock(cuda)
        baseline = psutil.Process().memory_info().rss
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        else:
            reset_peak_rss()
        extra = LOOPS[job["loop"]](model, features, job, cuda, clock)
    except (torch.OutOfMemoryError, RunFailed) as exc:
        return {"loop": job["loop"], "status": "oom", "error": str(exc).splitlines()[0][:200]}
    finally:
        del model
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
    out = {"loop": job["loop"], "status": "ok", "stamps": clock.stamps, **extra}
    if cuda:
        out.update(peak_allocated_mb=torch.cuda.max_memory_allocated() / 2**20,
                   peak_reserved_mb=torch.cuda.max_memory_reserved() / 2**20)
    else:
        out.update(peak_rss_mb=(_peak_rss_bytes() or math.nan) / 2**20, baseline_rss_mb=baseline / 2**20)
    return out


def largest_batch(model: nn.Module, job: dict[str, Any], limit: int = 4096) -> int:
    """Double the batch from 1 until a harness step runs out of memory (the harness backs off to a smaller batch
    when it does, which is how it shows); the last batch that trained whole."""
    fits, size = 0, 1
    while size <= limit:
        features = random_features(job, model.config.vocab_size, size)
        accelerator = make_accelerator("cuda", 1)
        try:
            result = train(model, features, kind=KIND, pad_id=0, config=training_config(job, size), seed=job["seed"],
                           select=lambda _: 0.0, accelerator=accelerator, show_progress=False)
        except (torch.OutOfMemoryError, RunFailed):
            break
        finally:
            accelerator.free_memory()
        if result.batch_size < size:
            break
        fits, size = size, size * 2
        torch.cuda.empty_cache()
    return fits
