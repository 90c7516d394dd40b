"""`harness profile` as a Python API: resolve what to profile, measure every variant, record it.

    outcome = profile_model(task="sst2", run_id="...", results="results", variants="all")

Records go to <results>/<task>/profiles/<profile_id>.json (kind "profile"), with the same
table as markdown (.md) and the metric-against-latency plot (.png) beside it. Run records
live one folder up, so readers of run records never mistake a profile for a run.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig

from harness.artifact import load_trained
from harness.device import resolve_device
from harness.encode import encode
from harness.errors import HarnessError
from harness.models.load import is_causal_decoder, load_task_model, load_tokenizer
from harness.models.sources import resolve_model
from harness.profiling.inputs import timing_inputs
from harness.profiling.machine import SpeedProbe, probe_summary
from harness.profiling.profile import Evaluation, ProfileSettings, Subject, VariantProfile, profile_variants
from harness.profiling.report import plot_profile, plottable, profile_markdown
from harness.profiling.timing import Clock
from harness.record import strict_json
from harness.record.environment import environment, utc_timestamp
from harness.record.saved_model import saved_model_folder
from harness.record.store import ResultStore, atomic_write
from harness.tasks import load_task, prepare_data
from harness.train.progress import stderr_console
from harness.variants import REFERENCE, select_variants

PROFILE_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ProfileOutcome:
    record: dict[str, Any]
    json_path: Path
    markdown_path: Path
    plot_path: Path | None  # None when nothing can be plotted (an untrained regression head)


def check_settings(settings: ProfileSettings) -> None:
    if not settings.batch_sizes or any(size < 1 for size in settings.batch_sizes):
        raise HarnessError(f"batch sizes must be positive integers, got {list(settings.batch_sizes)}")
    if settings.threads is not None and settings.threads < 1:
        raise HarnessError(f"--threads must be a positive integer, got {settings.threads}")
    if settings.rounds < 1:
        raise HarnessError(f"--rounds must be a positive integer, got {settings.rounds}")
    if settings.repeats < 1 or settings.warmup < 0 or settings.min_seconds < 0:
        raise HarnessError(f"need at least 1 timed run and no negative warm-up or time (got --repeats "
                           f"{settings.repeats}, --warmup {settings.warmup}, --min-seconds {settings.min_seconds})")


def profile_model(*, task: str, model: str | None = None, run_id: str | None = None, variants: str = "all",
                  results: Path | str = "results", data_dir: Path | None = None,
                  tasks_dirs: list[Path] | None = None, eval_limit: int | None = None, device: str | None = None,
                  settings: ProfileSettings = ProfileSettings(), max_length: int | None = None,
                  pooling: str | None = None, clock: Clock = time.perf_counter,
                  show_progress: bool = True) -> ProfileOutcome:
    """Profile `variants` of a recorded run's saved model (`run_id`) or of a pretrained `model` with a fresh head."""
    check_settings(settings)
    task_def = load_task(task, tasks_dirs)
    target = resolve_device(device)
    store = ResultStore(results)
    what = _what_to_profile(store, task_def, model, run_id, max_length, pooling, eval_limit, settings)
    chosen, skipped = select_variants(variants, target, what.method)  # refuses before anything heavy loads
    store.check_writable()

    source = resolve_model(what.model)
    tokenizer = load_tokenizer(source.path)
    is_decoder = is_causal_decoder(AutoConfig.from_pretrained(source.path))
    data = prepare_data(task_def, data_dir, seed=what.seed, eval_limit=what.eval_limit, fold=what.fold)
    split = task_def.headline_split
    examples = data.evaluation[split]
    features = encode(examples, tokenizer, task_def.kind, what.max_length, is_decoder, task_def.word_separator)
    inputs = timing_inputs(examples, features, task_def, tokenizer, is_decoder, pool_size=max(settings.batch_sizes))
    if run_id is not None:
        artifact = store.root / what.artifact
        subject = Subject(what.model, lambda: load_trained(artifact).model, trained=True, run_id=run_id,
                          method=what.method)
    else:
        subject = Subject(what.model, lambda: load_task_model(source.path, task_def.kind, task_def.num_labels,
                                                              pooling).model, trained=False)
    if show_progress:
        stderr_console.print(f"[bold]profile[/] {task_def.name} · {what.model} · {target.type}: "
                             f"{', '.join(v.name for v in chosen)}; inputs of {inputs.length} tokens "
                             f"(median of {split}), metric on {len(examples)} examples")
    with _threads(settings.threads):
        probe = SpeedProbe(target)  # on the real clock, whatever times the variants
        figures = profile_variants(chosen, subject, inputs, Evaluation(task_def, split, examples, features),
                                   target, settings, clock, on_done=_progress if show_progress else None,
                                   on_round=_round_started(settings.rounds) if show_progress else None,
                                   probe=probe)
        where = environment(target)  # inside: it records torch's thread count

    record = _profile_record(task_def, what, source, subject, target, inputs, split, len(examples), settings,
                             figures, skipped, where)
    return _write(store, task_def.name, record)


@dataclass(frozen=True)
class _Target:
    """What a profile loads: a recorded run's saved model, or a pretrained model with a fresh head."""

    model: str
    method: str | None
    seed: int
    fold: int | None
    max_length: int
    eval_limit: int | None
    artifact: str | None = None


def _what_to_profile(store: ResultStore, task_def, model: str | None, run_id: str | None, max_length: int | None,
                     pooling: str | None, eval_limit: int | None, settings: ProfileSettings) -> _Target:
    if run_id is not None:
        if max_length is not None or pooling is not None:
            raise HarnessError("a recorded run keeps the max length and pooling it was trained with: "
                               "drop --max-length / --pooling when profiling --run")
        run = _recorded_run(store, task_def, run_id, model)
        spec = run["spec"]
        return _Target(spec["model"], spec["method"], spec["seed"], spec.get("fold"), spec["max_length"],
                       eval_limit or spec.get("eval_limit"), run["artifact"])
    if model is None:
        raise HarnessError("say what to profile: --model NAME (pretrained, fresh head) or --run RUN_ID (saved run)")
    return _Target(model, None, settings.seed, None, max_length or task_def.max_length, eval_limit)


def _profile_record(task_def, what: _Target, source, subject: Subject, target: torch.device, inputs, split: str,
                    examples: int, settings: ProfileSettings, figures: list[dict[str, Any]], skipped: dict[str, str],
                    where: dict[str, Any]) -> dict[str, Any]:
    """A profile record: what was profiled, on what inputs and settings, and every variant's figures."""
    return {
        "kind": "profile",
        "schema_version": PROFILE_SCHEMA_VERSION,
        "profile_id": "",
        "created_at": utc_timestamp(),
        "task": {"name": task_def.name, "kind": task_def.kind, "hash": task_def.hash, "headline": task_def.headline},
        "model": {"name": what.model, "path": source.path, "origin": source.origin, "run_id": subject.run_id,
                  "method": what.method, "trained_head": subject.trained, "max_length": what.max_length},
        "device": target.type,
        "torch": torch.__version__,
        "inputs": inputs.describe(),
        "evaluation": {"split": split, "examples": examples, "metric": task_def.headline,
                       "eval_limit": what.eval_limit},
        "settings": settings.to_dict(),
        "reference": REFERENCE,
        "variants": [{"model": what.model, "run_id": subject.run_id, "device": target.type, "torch": torch.__version__,
                      "input_length": inputs.length, **entry} for entry in figures],
        "skipped": skipped,
        "machine_probe": probe_summary([ms for entry in figures for ms in entry.get("machine_probe_ms", [])]),
        "environment": where,
    }


@contextmanager
def _threads(count: int | None) -> Iterator[None]:
    """torch's CPU thread count set for the block (latency depends on it), then restored."""
    previous = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _recorded_run(store: ResultStore, task_def, run_id: str, model: str | None) -> dict[str, Any]:
    if not store.exists(task_def.name, run_id):
        raise HarnessError(f"no run {run_id} recorded for task {task_def.name} in {store.root}; "
                           "check --run and --results (`harness leaderboard` lists recorded runs)")
    run = store.load(task_def.name, run_id)
    if not run.get("artifact"):
        raise HarnessError(f"run {run_id} has no saved model to profile: rerun it with --save-model")
    saved_model_folder(store, run)
    if model is not None and model != run["spec"]["model"]:
        raise HarnessError(f"run {run_id} fine-tuned {run['spec']['model']}, not {model}: drop --model or fix it")
    if run["task"]["hash"] != task_def.hash:
        raise HarnessError(f"run {run_id}: the definition of task {task_def.name} changed since it was recorded; "
                           "its model would be scored on other data")
    return run


def _round_started(rounds: int):
    def show(number: int) -> None:
        what = "load, time, size and score each variant" if number == 1 else "load and time each variant again"
        stderr_console.print(f"  round {number} of {rounds}: {what}")
    return show


def _progress(profile: VariantProfile) -> None:
    cells = ", ".join(f"b{t.requested} {t.stats.median_ms:.1f} ms" if t.stats else f"b{t.requested} OOM"
                      for t in profile.latency)
    metric = "" if profile.metric is None else f", metric {profile.metric:.4f}"
    stderr_console.print(f"  {profile.variant}: {cells}, {profile.size_bytes / 1e6:.1f} MB{metric}")


def _write(store: ResultStore, task: str, record: dict[str, Any]) -> ProfileOutcome:
    folder = store.root / task / "profiles"
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    who = record["model"]["run_id"] or re.sub(r"[^A-Za-z0-9._-]+", "-", Path(record["model"]["name"]).name)
    base = f"{stamp}-{who}-{record['device']}"
    profile_id, counter = base, 1
    while (folder / f"{profile_id}.json").exists():
        counter += 1
        profile_id = f"{base}-{counter}"
    record["profile_id"] = profile_id
    json_path, markdown_path = folder / f"{profile_id}.json", folder / f"{profile_id}.md"
    atomic_write(json_path, [strict_json.dumps(record, indent=2) + "\n"])
    atomic_write(markdown_path, [profile_markdown(record)])
    plot_path = plot_profile(record, folder / f"{profile_id}.png") if plottable(record) else None
    return ProfileOutcome(record, json_path, markdown_path, plot_path)
