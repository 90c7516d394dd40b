"""One run as its stages: resolve spec, load data, build model and apply method (and train, or prompt),
evaluate, record.

This is the Python API; the CLI only parses arguments and calls `plan` and `execute`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from harness.attack.settings import AttackRequest, attack_entry, check_attack_language
from harness.device import resolve_device
from harness.distill.settings import DistillRequest, distill_entry
from harness.errors import HarnessError
from harness.evaluation import evaluate_splits
from harness.methods import get_method
from harness.models.sources import resolve_model
from harness.pipeline.fine_tune import fine_tune
from harness.pipeline.prompted import prompted
from harness.pipeline.record import build_record
from harness.prompt_spread.settings import SpreadRequest, spread_entry
from harness.record.lock import SpecLock
from harness.record.store import ResultStore
from harness.remedy.prepare import seen_perturbations
from harness.remedy.settings import RemedyRequest, remedy_entry
from harness.scale import BackboneSettings, check_environment
from harness.spec import RunSpec, build_spec
from harness.tasks import (
    TaskData,
    TaskDef,
    load_task,
    prepare_data,
    unreported_selection,
)
from harness.tasks.fingerprint import check_same_data
from harness.track import RunTracking, TrackerRequest
from harness.train.launch import check_launch, is_main_process
from harness.variants import check_available


@dataclass
class RunOutcome:
    record: dict[str, Any]
    path: Path
    skipped: bool  # True when the record already existed and nothing ran


def plan(model: str, method: str, task: str | TaskDef, *, seed: int = 0, training: dict[str, Any] | None = None,
         method_options: dict[str, Any] | None = None, max_length: int | None = None,
         train_limit: int | None = None, eval_limit: int | None = None, pooling: str | None = None,
         fold: int | None = None, perturb: str | None = None, variant: str | None = None,
         init_seed: int | None = None, student_layers: int | None = None, distill: DistillRequest | None = None,
         remedy: RemedyRequest | None = None, attack: AttackRequest | None = None,
         prompt_spread: SpreadRequest | None = None, backbone: BackboneSettings | None = None,
         results: Path | str = "results", data_dir: Path | None = None,
         tasks_dirs: list[Path] | None = None) -> tuple[RunSpec, TaskDef]:
    """Check names and options and resolve every default, without loading anything heavy. `task` is a name,
    a YAML path, or a task already loaded (a grid plans many runs of one task). A `distill` request's teacher
    is looked up in `results` and checked against the files in `data_dir`."""
    task_def = task if isinstance(task, TaskDef) else load_task(task, tasks_dirs)
    method_def = get_method(method)
    if distill is not None and distill.teacher and remedy is not None and (remedy.augment or remedy.augment_file):
        raise HarnessError("--augment with --distill-from: the teacher's outputs are for the clean examples; use one "
                           "of the two")
    distill_settings = distill_entry(distill or DistillRequest(), task_def, trains=method_def.trains,
                                     results=results, data_dir=data_dir)
    remedy_settings = remedy_entry(remedy or RemedyRequest(), task_def, trains=method_def.trains,
                                   method=method_def.name)
    spread = spread_entry(prompt_spread or SpreadRequest(), task_def, method=method_def.name, seed=seed,
                          base_prompt=(method_options or {}).get("prompt") or None)
    if spread:  # the first prompt of the spread is the run's own (its headline)
        method_options = {**(method_options or {}), "prompt": spread["prompts"][0]}
    spec = build_spec(model, method_def, task_def, seed=seed, overrides=training, method_options=method_options,
                      max_length=max_length, train_limit=train_limit, eval_limit=eval_limit, pooling=pooling,
                      fold=fold, perturb=perturb, variant=variant, init_seed=init_seed, student_layers=student_layers,
                      distill=distill_settings, remedy=remedy_settings,
                      attack=attack_entry(attack or AttackRequest(), task_def), prompt_spread=spread,
                      backbone=backbone)
    return spec, task_def


def execute(spec: RunSpec, task: TaskDef, *, output: Path | str = "results", force: bool = False,
            **options: Any) -> RunOutcome:
    """Run `spec` unless it is already recorded, holding its lock so no other process runs it at the same time.

    Options: data_dir, device, show_progress, save_model (keep the trained weights beside the
    record), resume (continue from this run's checkpoint when there is one), checkpoint_every
    (updates) and checkpoint_minutes (0 turns either off), teacher_results (where a distilled run's
    teacher is recorded, when not in `output`), trackers (a harness.track request: W&B, MLflow,
    TensorBoard; a run already recorded is not logged again).
    """
    store = ResultStore(output)
    run_id = spec.run_id(task.hash)
    if not force and (record := recorded(store, task, run_id, options.get("data_dir"))):
        return RunOutcome(record, store.record_path(task.name, run_id), skipped=True)  # nothing to lock
    if not is_main_process():  # under accelerate/torchrun the main process holds the lock for all of them
        return _execute(spec, task, output=output, force=force, **options)
    store.check_writable()
    with SpecLock(output, task.name, run_id):  # RunBusy (exit 1) when another process is running it now
        return _execute(spec, task, output=output, force=force, **options)


def recorded(store: ResultStore, task: TaskDef, run_id: str, data_dir: Path | None) -> dict[str, Any] | None:
    """The run's record, when it is recorded; HarnessError when it was recorded on other data files."""
    if not store.exists(task.name, run_id):
        return None
    record = store.load(task.name, run_id)
    check_same_data(record, task, data_dir)
    return record


def _execute(spec: RunSpec, task: TaskDef, *, output: Path | str = "results", data_dir: Path | None = None,
             force: bool = False, device: str | None = None, trackers: TrackerRequest | None = None,
             **options: Any) -> RunOutcome:
    store = ResultStore(output)
    run_id = spec.run_id(task.hash)
    if not force and (record := recorded(store, task, run_id, data_dir)):  # by another process meanwhile
        return RunOutcome(record, store.record_path(task.name, run_id), skipped=True)
    store.check_writable()
    started = time.perf_counter()
    check_runnable(spec, device)
    source = resolve_model(spec.model)
    data = load_data(spec, task, data_dir)
    if spec.attack:  # the task's language is known once its data is read: refuse a misfit before training
        check_attack_language(spec.attack, task, data.evaluation)
    build = fine_tune if get_method(spec.method).trains else prompted  # build model, apply method, train
    tracking = RunTracking.open(trackers, spec, task.name, run_id)  # not part of the spec: the record is the same
    try:
        ready = build(spec, task, data, source, run_id=run_id, store=store, device=device, data_dir=data_dir,
                      tracking=tracking, **options)
        with ready.scoring() as predictor:
            evaluated = evaluate_splits(task, data.evaluation, predictor, seed=spec.seed, perturb=spec.perturb,
                                        train=data.train, selection=selection_outputs(spec, data),
                                        seen=seen_perturbations(spec.remedy, task, data.train), attack=spec.attack)
        record = build_record(spec, task, run_id, source, data, evaluated, ready.facts, started, ready.device)
        if not ready.writes:
            return RunOutcome(record, store.record_path(task.name, run_id), skipped=False)
        spread_rows = ready.facts.predictor.rows() if spec.prompt_spread else None
        path = store.write(record, evaluated.rows, evaluated.perturbed_rows, evaluated.attacked_rows, spread_rows)
    except BaseException:
        tracking.abort()
        raise
    ready.finish()  # only once the record is safely on disk
    tracking.finish(record, path)
    return RunOutcome(record, path, skipped=False)


def selection_outputs(spec: RunSpec, data: TaskData) -> tuple[str, list] | None:
    """A fine-tuned run keeps its outputs on the selection split (when no reported split holds them already)."""
    name = unreported_selection(data)
    return None if name is None or not get_method(spec.method).trains else (name, data.selection)


def check_runnable(spec: RunSpec, device: str | None) -> None:
    """What this launch and device cannot run is refused before anything loads or trains."""
    check_launch(device, spec.method, spec.variant)
    check_environment(BackboneSettings.of(spec), cuda=resolve_device(device).type == "cuda"
                      and torch.cuda.is_available())
    if spec.variant:
        check_available(spec.variant, resolve_device(device), spec.method)


def load_data(spec: RunSpec, task: TaskDef, data_dir: Path | None) -> TaskData:
    """The run's splits: train, selection and the reported evaluation splits, sampled with its (shared) seed."""
    return prepare_data(task, data_dir, seed=spec.shared_seed, train_limit=spec.train_limit, eval_limit=spec.eval_limit,
                        fold=spec.fold)
