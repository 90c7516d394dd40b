"""The shape of a run record, in one place: what every run records, and what fine-tuned and prompted runs add.

    record = build_record(spec, task, run_id, source, data, evaluated, ready.facts, started, ready.device)

A record is one JSON file per run (harness.record.store writes it, beside the per-example
predictions). Readers (leaderboards, compare, regress, verify) rely on these keys: add new
ones, never rename or drop one (bump SCHEMA_VERSION for a change old readers cannot follow).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from harness.distill.retention import with_retention
from harness.evaluation import Evaluated
from harness.majority import majority_baseline
from harness.metrics.registry import metric_version
from harness.models.load import LoadedModel
from harness.models.sources import ModelSource
from harness.prompt_spread.predictor import SpreadPredictor
from harness.prompting.model import PromptModel
from harness.prompting.predictor import PromptPredictor
from harness.record.environment import environment, utc_timestamp
from harness.record.store import SCHEMA_VERSION
from harness.scale.backbone import resolved_attention
from harness.spec import RunSpec
from harness.tasks import TaskData, TaskDef
from harness.train.loop import TrainResult
from harness.train.sharding import distribution_fields


@dataclass
class FineTunedFacts:
    """What fine-tuning measured, beside the evaluation."""

    loaded: LoadedModel
    trainable: int
    total: int
    whole_model_bytes: int
    deploy_bytes: int  # the saved trained weights' size (saved into a scratch folder when not kept)
    result: TrainResult
    accelerator: Any  # accelerate.Accelerator the run trained under
    artifact: str | None  # the saved model's folder relative to the results folder, when --save-model
    distill: dict[str, Any] | None = None  # a distilled student's teacher and settings (harness.distill)
    remedy: dict[str, Any] | None = None  # training for robustness: settings and what augmentation drew


@dataclass
class PromptedFacts:
    """What prompting measured, beside the evaluation (the section is finished once every split is scored)."""

    loaded: PromptModel
    predictor: PromptPredictor | SpreadPredictor | None = None
    linear_layers: str = "pytorch"  # "onednn" when scoring ran through oneDNN's packed linear layers


def build_record(spec: RunSpec, task: TaskDef, run_id: str, source: ModelSource, data: TaskData,
                 evaluated: Evaluated, facts: FineTunedFacts | PromptedFacts, started: float, device) -> dict[str, Any]:
    body = (_fine_tuned(spec, task, source, data, evaluated, facts) if isinstance(facts, FineTunedFacts)
            else _prompted(spec, task, source, data, evaluated, facts))
    return {
        **_header(spec, task, run_id, data, evaluated.metrics),
        **body,
        "wall_seconds": round(time.perf_counter() - started, 3),
        "environment": environment(device),
    }


def _header(spec: RunSpec, task: TaskDef, run_id: str, data: TaskData, metrics: dict[str, Any]) -> dict[str, Any]:
    """What every run record starts with, fine-tuned or prompted."""
    split = task.headline_split
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "created_at": utc_timestamp(),
        "spec": spec.to_dict(),
        "task": {"name": task.name, "suite": task.suite, "kind": task.kind, "hash": task.hash,
                 "path": str(task.path), "metrics": list(task.metrics), "headline": task.headline,
                 "labels": list(task.labels), "metric_versions": {m: metric_version(m) for m in task.metrics}},
        "data": data.info,
        "headline": {"split": split, "metric": task.headline, "value": metrics[split]["values"][task.headline],
                     "interval": metrics[split]["intervals"].get(task.headline)},
        "metrics": metrics,
    }


def _fine_tuned(spec: RunSpec, task: TaskDef, source: ModelSource, data: TaskData, evaluated: Evaluated,
                facts: FineTunedFacts) -> dict[str, Any]:
    result, accelerator, loaded = facts.result, facts.accelerator, facts.loaded
    # what the run must beat: its training examples' most frequent label, scored as prompted runs score it
    majority = majority_baseline(task, data.train, data.evaluation, spec.seed)
    trainable, total = facts.trainable, facts.total
    share = trainable / total if total else None
    return {
        "model": {**_model_fields(spec, source), "parameters": total, "trainable_parameters": trainable,
                  "trainable_share": share, "pooling": loaded.model.pooling, "is_decoder": loaded.is_decoder,
                  "attention": resolved_attention(loaded.model.backbone), "quantized_base": spec.quantize_base},
        "training": {"epochs_run": result.epochs_run, "best_epoch": result.best_epoch,
                     "selection_score": result.best_score, "stopped_early": result.stopped_early,
                     "steps": result.steps, "mixed_precision": accelerator.mixed_precision,
                     "gradient_checkpointing": bool(spec.gradient_checkpointing),
                     "processes": accelerator.num_processes,
                     **distribution_fields(accelerator),
                     "train_seconds": round(result.train_seconds, 3),
                     "train_examples_per_second": round(result.examples_per_second, 2),
                     "peak_memory_mb": round(result.peak_memory_mb, 1),
                     "memory_before_training_mb": round(result.memory_baseline_mb, 1),
                     "memory_kind": result.memory_kind, "resumed_from_update": result.resumed_from_update,
                     "batch_size_used": result.batch_size, "grad_accum_used": result.grad_accum,
                     "notes": result.notes,
                     "history": result.history},
        "inference": evaluated.summaries,
        **({"majority_class": majority} if majority else {}),
        **({"robustness": evaluated.robustness} if spec.perturb else {}),
        **({"attack": evaluated.attacks} if spec.attack else {}),
        **({"distill": with_retention(facts.distill, evaluated.metrics)} if facts.distill else {}),
        **({"remedy": {**facts.remedy, "seconds_per_step": round(result.train_seconds / max(result.steps, 1), 4)}}
           if facts.remedy else {}),
        "costs": {"trainable_parameters": trainable, "total_parameters": total, "trainable_share": share,
                  "deploy_bytes": facts.deploy_bytes, "whole_model_bytes": facts.whole_model_bytes,
                  "train_seconds": round(result.train_seconds, 3),
                  "train_examples_per_second": round(result.examples_per_second, 2),
                  "peak_train_memory_mb": round(result.peak_memory_mb, 1), "memory_kind": result.memory_kind,
                  "inference_examples_per_second": evaluated.summaries[task.headline_split]["examples_per_second"]},
        "artifact": facts.artifact,
    }


def _prompted(spec: RunSpec, task: TaskDef, source: ModelSource, data: TaskData, evaluated: Evaluated,
              facts: PromptedFacts) -> dict[str, Any]:
    loaded = facts.loaded
    return {
        "model": {**_model_fields(spec, source), "parameters": loaded.parameters, "trainable_parameters": 0,
                  "trainable_share": 0.0, "scorer": loaded.scorer, "attention": resolved_attention(loaded.model)},
        "prompting": prompting_section(facts, evaluated, data),
        **({"prompt_spread": facts.predictor.spread_section(task)} if spec.prompt_spread else {}),
        **({"robustness": evaluated.robustness} if spec.perturb else {}),
        **({"attack": evaluated.attacks} if spec.attack else {}),
        "costs": {"trainable_parameters": 0, "total_parameters": loaded.parameters, "trainable_share": 0.0,
                  "inference_examples_per_second": evaluated.summaries[task.headline_split]["examples_per_second"]},
    }


def prompting_section(facts: PromptedFacts, evaluated: Evaluated, data: TaskData) -> dict[str, Any]:
    """The prompt, its demonstrations and calibration, and each split's scoring speed and calibration error."""
    return {**facts.predictor.section(evaluated.summaries, data.evaluation), "linear_layers": facts.linear_layers}


def _model_fields(spec: RunSpec, source: ModelSource) -> dict[str, Any]:
    return {"name": spec.model, "path": source.path, "origin": source.origin, "package": source.package,
            "package_version": source.revision, "gguf_fingerprint": source.fingerprint}
