"""One run, stage by stage: spec -> task data -> model -> method -> train -> predict -> metrics -> record.

This is the Python API; the CLI only parses arguments and calls `plan` and `execute`.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from accelerate.utils import set_seed

from harness.artifact import model_bytes, save_trained, trained_state
from harness.device import resolve_device
from harness.encode import encode
from harness.methods import count_parameters, get_method
from harness.metrics.registry import metric_version
from harness.models.load import load_task_model
from harness.models.sources import resolve_model
from harness.predict import evaluation_batch_size, predict, prediction_rows
from harness.prompting.model import load_prompt_model
from harness.prompting.progress import ScoringProgress
from harness.prompting.run import prompt_for, run_prompted
from harness.record.environment import environment
from harness.record.lock import SpecLock
from harness.record.store import SCHEMA_VERSION, ResultStore
from harness.robustness import evaluate_robustness
from harness.scoring import score_predictions
from harness.spec import RunSpec, build_spec
from harness.tasks import TaskDef, kinds, load_task, prepare_data
from harness.tasks.fingerprint import check_same_data
from harness.errors import HarnessError
from harness.train.checkpoint import DEFAULT_CHECKPOINT_MINUTES, Checkpointer
from harness.train.launch import check_launch, is_main_process
from harness.train.loop import make_accelerator, planned_updates, train
from harness.train.sharding import distribution_fields
from harness.train.progress import stderr_console
from harness.variants import apply_variant, check_available


@dataclass
class RunOutcome:
    record: dict[str, Any]
    path: Path
    skipped: bool  # True when the record already existed and nothing ran


def plan(model: str, method: str, task: str, *, seed: int = 0, training: dict[str, Any] | None = None,
         method_options: dict[str, Any] | None = None, max_length: int | None = None,
         train_limit: int | None = None, eval_limit: int | None = None, pooling: str | None = None,
         fold: int | None = None, perturb: str | None = None, variant: str | None = None,
         tasks_dirs: list[Path] | None = None) -> tuple[RunSpec, TaskDef]:
    """Check names and options and resolve every default, without loading anything heavy."""
    task_def = load_task(task, tasks_dirs)
    method_def = get_method(method)
    spec = build_spec(model, method_def, task_def, seed=seed, overrides=training, method_options=method_options,
                      max_length=max_length, train_limit=train_limit, eval_limit=eval_limit, pooling=pooling,
                      fold=fold, perturb=perturb, variant=variant)
    return spec, task_def


def execute(spec: RunSpec, task: TaskDef, *, output: Path | str = "results", force: bool = False,
            **options: Any) -> RunOutcome:
    """Run `spec` unless it is already recorded, holding its lock so no other process runs it at the same time.

    Options: data_dir, device, show_progress, save_model (keep the trained weights beside the
    record), resume (continue from this run's checkpoint when there is one), checkpoint_every
    (updates) and checkpoint_minutes (0 turns either off).
    """
    store = ResultStore(output)
    run_id = spec.run_id(task.hash)
    if not force and (record := _recorded(store, task, run_id, options.get("data_dir"))):
        return RunOutcome(record, store.record_path(task.name, run_id), skipped=True)  # nothing to lock
    if not is_main_process():  # under accelerate/torchrun the main process holds the lock for all of them
        return _execute(spec, task, output=output, force=force, **options)
    store.check_writable()
    with SpecLock(output, task.name, run_id):  # RunBusy (exit 1) when another process is running it now
        return _execute(spec, task, output=output, force=force, **options)


def _recorded(store: ResultStore, task: TaskDef, run_id: str, data_dir: Path | None) -> dict[str, Any] | None:
    """The run's record, when it is recorded; HarnessError when it was recorded on other data files."""
    if not store.exists(task.name, run_id):
        return None
    record = store.load(task.name, run_id)
    check_same_data(record, task, data_dir)
    return record


def _execute(spec: RunSpec, task: TaskDef, *, output: Path | str = "results", data_dir: Path | None = None,
             force: bool = False, device: str | None = None, show_progress: bool = True,
             save_model: bool = False, resume: bool = False, checkpoint_every: int = 0,
             checkpoint_minutes: float = DEFAULT_CHECKPOINT_MINUTES) -> RunOutcome:
    store = ResultStore(output)
    run_id = spec.run_id(task.hash)
    if not force and (record := _recorded(store, task, run_id, data_dir)):  # by another process meanwhile
        return RunOutcome(record, store.record_path(task.name, run_id), skipped=True)
    store.check_writable()
    check_launch(device, spec.method, spec.variant)
    started = time.perf_counter()

    if spec.variant:  # a variant the device cannot run is refused before anything loads or trains
        check_available(spec.variant, resolve_device(device), spec.method)
    source = resolve_model(spec.model)
    data = prepare_data(task, data_dir, seed=spec.seed, train_limit=spec.train_limit, eval_limit=spec.eval_limit,
                        fold=spec.fold)
    method = get_method(spec.method)
    if not method.trains:
        record, rows = _execute_prompted(spec, task, data, source, run_id, device, show_progress, started)
        return RunOutcome(record, store.write(record, rows), skipped=False)
    set_seed(spec.seed)
    loaded = load_task_model(source.path, task.kind, task.num_labels, spec.pooling)
    if task.kind == kinds.REGRESSION:
        loaded.model.set_target_scale([example.label for example in data.train])
    method.check(loaded.model, task.kind, spec.method_options)
    total_updates = planned_updates(len(data.train), spec.training)
    whole_model_bytes = model_bytes(loaded.model)
    model = method.prepare(loaded.model, spec.method_options, total_updates)
    trainable, total = count_parameters(model)
    if show_progress:
        sizes = ", ".join(f"{split} {len(examples)}" for split, examples in data.evaluation.items())
        log(f"[bold]{task.name}[/]: train {len(data.train)}, selection {len(data.selection)} "
            f"({data.info['selection']}), evaluation {sizes} · [bold]{spec.model}[/] ({source.origin}, "
            f"{'decoder' if loaded.is_decoder else 'encoder'}, {loaded.model.pooling} pooling) · "
            f"[bold]{spec.method}[/]: {trainable:,} of {total:,} parameters trainable · run {run_id}")

    def features(examples):
        return encode(examples, loaded.tokenizer, task.kind, spec.max_length, loaded.is_decoder, task.word_separator)

    train_features, selection_features = features(data.train), features(data.selection)
    accelerator = make_accelerator(device, spec.training["grad_accum"])
    pad_id = loaded.tokenizer.pad_token_id
    eval_batch = evaluation_batch_size(spec.training)
    fallback = task.labels.index("O") if "O" in task.labels else 0

    def run_predict(net, feats):
        return predict(net, feats, kind=task.kind, pad_id=pad_id, batch_size=eval_batch,
                       device=accelerator.device, fallback_tag=fallback, accelerator=accelerator)

    def select(net) -> float:
        predictions = run_predict(net, selection_features)
        report = score_predictions(task, [task.headline], predictions.values, data.selection, n_boot=0)
        return report.values[task.headline]

    checkpointer = None
    if accelerator.num_processes == 1:  # a checkpoint holds one process's random state: single-process only
        checkpointer = Checkpointer(store.checkpoint_path(task.name, run_id), checkpoint_every,
                                    checkpoint_minutes * 60, data=data.info.get("file_sha256", {}))
        resume = _resuming(checkpointer, resume, show_progress)
    elif resume:
        raise HarnessError("--resume works for single-process runs only; rerun without accelerate/torchrun to resume")
    result = train(model, train_features, kind=task.kind, pad_id=pad_id, config=spec.training, seed=spec.seed,
                   select=select, accelerator=accelerator, after_update=method.after_update,
                   show_progress=show_progress, checkpointer=checkpointer, resume=resume,
                   method_state=(method.training_state, method.load_training_state))
    trained = accelerator.unwrap_model(model)
    manifest = {"run_id": run_id, "spec": {**spec.to_dict(), "pooling": loaded.model.pooling},
                "task": task.name, "task_kind": task.kind, "num_labels": task.num_labels,
                "labels": list(task.labels), "total_updates": total_updates}
    state = trained_state(trained)  # every process: weights sharded by FSDP are gathered whole
    artifact = store.model_path(task.name, run_id) if save_model else None
    deploy_bytes = 0
    if accelerator.is_main_process:  # one writer; the other processes hold the same tensors
        if artifact is not None:
            deploy_bytes = save_trained(state, artifact, manifest)
        else:
            with tempfile.TemporaryDirectory() as scratch:
                deploy_bytes = save_trained(state, Path(scratch), manifest)

    if spec.variant:  # what is evaluated (and timed) is the variant; the saved artifact stays the trained model
        trained = apply_variant(spec.variant, trained, accelerator.device, method=spec.method)
    metrics, rows, inference, robustness = {}, [], {}, {}
    for split, examples in data.evaluation.items():
        predictions = run_predict(trained, features(examples))
        if spec.perturb:
            robustness[split] = evaluate_robustness(
                task, spec.perturb, spec.seed, examples, predictions.values, data.train,
                lambda perturbed: run_predict(trained, features(perturbed)).values)
        metrics[split] = score_predictions(task, task.metrics, predictions.values, examples, seed=spec.seed).to_dict()
        inference[split] = {"examples": len(examples), "seconds": round(predictions.seconds, 3),
                            "examples_per_second": round(predictions.examples_per_second, 2),
                            "words_cut_off": predictions.words_cut_off}
        rows.extend(prediction_rows(task, split, examples, predictions))

    headline_split = task.headline_split
    record = {
        **_record_header(spec, task, run_id, source, data, metrics),
        "model": {**_model_fields(spec, source), "parameters": total, "trainable_parameters": trainable,
                  "trainable_share": trainable / total if total else None, "pooling": loaded.model.pooling,
                  "is_decoder": loaded.is_decoder},
        "training": {"epochs_run": result.epochs_run, "best_epoch": result.best_epoch,
                     "selection_score": result.best_score, "stopped_early": result.stopped_early,
                     "steps": result.steps, "mixed_precision": accelerator.mixed_precision,
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
        "inference": inference,
        **({"robustness": robustness} if spec.perturb else {}),
        "costs": {"trainable_parameters": trainable, "total_parameters": total,
                  "trainable_share": trainable / total if total else None,
                  "deploy_bytes": deploy_bytes, "whole_model_bytes": whole_model_bytes,
                  "train_seconds": round(result.train_seconds, 3),
                  "train_examples_per_second": round(result.examples_per_second, 2),
                  "peak_train_memory_mb": round(result.peak_memory_mb, 1), "memory_kind": result.memory_kind,
                  "inference_examples_per_second": inference[headline_split]["examples_per_second"]},
        "artifact": None if artifact is None else str(artifact.relative_to(store.root)),
        "wall_seconds": round(time.perf_counter() - started, 3),
        "environment": environment(accelerator.device),
    }
    if not accelerator.is_main_process:
        return RunOutcome(record, store.record_path(task.name, run_id), skipped=False)
    path = store.write(record, rows)
    if checkpointer is not None:
        checkpointer.remove()  # only once the record is safely on disk
    return RunOutcome(record, path, skipped=False)


def _resuming(checkpointer: Checkpointer, asked: bool, show_progress: bool) -> bool:
    """Resume only from a checkpoint that exists; say what happens to one that is not resumed."""
    found = checkpointer.path.is_file()
    if found and not asked:
        log(f"[yellow]{checkpointer.path} holds an interrupted attempt of this run; starting over "
            "(pass --resume to continue it)[/]")
    elif asked and not found and show_progress:
        log("nothing to resume for this run: starting from the beginning")
    return asked and found


def _execute_prompted(spec: RunSpec, task: TaskDef, data, source, run_id: str, device: str | None,
                      show_progress: bool, started: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Zero/few-shot: score the task's prompt with the pretrained model; nothing trains."""
    set_seed(spec.seed)
    prompt = prompt_for(task, spec.method_options)  # an unknown prompt name fails before the model loads
    target = resolve_device(device)
    loaded = load_prompt_model(source.path, spec.method_options["scorer"], target)
    if show_progress:
        log(f"[bold]{task.name}[/]: prompt '{prompt.name}' ({prompt.hash}), {spec.method_options.get('k', 0)} "
            f"demonstrations · [bold]{spec.model}[/] ({source.origin}, {loaded.scorer} scoring) · run {run_id}")
    with ScoringProgress(show_progress) as progress:
        result = run_prompted(task, data, loaded, spec.method_options, spec.seed, progress)
    robustness = {}
    for split, examples in data.evaluation.items() if spec.perturb else ():
        def predict_split(perturbed, split=split):
            scored = run_prompted(task, replace(data, evaluation={split: perturbed}), loaded, spec.method_options,
                                  spec.seed)
            return [row["prediction"] for row in scored["rows"]]

        clean = [row["prediction"] for row in result["rows"] if row["split"] == split]
        robustness[split] = evaluate_robustness(task, spec.perturb, spec.seed, examples, clean, data.train,
                                                predict_split)
    metrics = result["metrics"]
    headline_split = task.headline_split
    speed = result["prompting"]["splits"][headline_split]["examples_per_second"]
    record = {
        **_record_header(spec, task, run_id, source, data, metrics),
        "model": {**_model_fields(spec, source), "parameters": loaded.parameters, "trainable_parameters": 0,
                  "trainable_share": 0.0, "scorer": loaded.scorer},
        "prompting": result["prompting"],
        **({"robustness": robustness} if spec.perturb else {}),
        "costs": {"trainable_parameters": 0, "total_parameters": loaded.parameters, "trainable_share": 0.0,
                  "inference_examples_per_second": speed},
        "wall_seconds": round(time.perf_counter() - started, 3),
        "environment": environment(target),
    }
    return record, result["rows"]


def _record_header(spec: RunSpec, task: TaskDef, run_id: str, source, data, metrics) -> dict[str, Any]:
    """What every run record starts with, fine-tuned or prompted."""
    split = task.headline_split
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "spec": spec.to_dict(),
        "task": {"name": task.name, "suite": task.suite, "kind": task.kind, "hash": task.hash,
                 "path": str(task.path), "metrics": list(task.metrics), "headline": task.headline,
                 "labels": list(task.labels), "metric_versions": {m: metric_version(m) for m in task.metrics}},
        "data": data.info,
        "headline": {"split": split, "metric": task.headline, "value": metrics[split]["values"][task.headline],
                     "interval": metrics[split]["intervals"].get(task.headline)},
        "metrics": metrics,
    }


def _model_fields(spec: RunSpec, source) -> dict[str, Any]:
    return {"name": spec.model, "path": source.path, "origin": source.origin, "package": source.package,
            "package_version": source.revision, "gguf_fingerprint": source.fingerprint}


def log(message: str) -> None:
    if is_main_process():  # under accelerate/torchrun the other processes stay silent
        stderr_console.print(message)
