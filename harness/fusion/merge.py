"""Weight merging: recorded runs' saved models combined into one model, evaluated and recorded like a run.

    outcomes = merge(["86f402", "a002b7", "cbc7e1"], how="uniform", results="results")
    outcomes = merge([sst2_lora, mrpc_lora], how="ties", multi_task=True)   # one backbone, each task its head

Every member is unfolded into a plain model (a LoRA, DoRA, AdaLoRA or IA3 adapter merged
into its layers), so members are the pretrained model plus their change to it: merging
combines the changes (harness.fusion.weights) and adds them to the pretrained weights. Task
heads are not in the pretrained model: each task's head is the (weighted) mean of its members'
heads. The merged model is saved like --save-model, so profile, robustness and verify
--eval-only read it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from harness.artifact import load_trained, save_trained
from harness.device import resolve_device
from harness.errors import HarnessError
from harness.evaluation import evaluate_splits
from harness.fusion.ensemble import FusionOutcome
from harness.fusion.members import Member, Selection, find_members, load_members, read_member
from harness.fusion.merge_checks import check_mergeable, merge_settings
from harness.fusion.record import fused_id, fused_record, member_facts
from harness.fusion.scoring import against
from harness.fusion.weights import MERGES, task_vector
from harness.models.load import load_task_model
from harness.models.sources import resolve_model
from harness.record.saved_model import SavedRun, saved_model_folder
from harness.record.store import ResultStore
from harness.scoring import score_predictions
from harness.tasks import TaskDef, prepare_data

@dataclass
class Unfolded:
    member: Member
    task: TaskDef
    state: dict[str, torch.Tensor]  # a plain task model's whole state


def merge(run_ids: Sequence[str] = (), *, selection: Selection | None = None, results: Path | str = "results",
          how: str = "uniform", weights: Sequence[float] | None = None, scale: float | None = None,
          density: float | None = None, seed: int | None = None, multi_task: bool = False, data_dir: Path | None = None,
          tasks_dirs: Sequence[Path] | None = None, device: str | None = None, n_boot: int = 1000,
          force: bool = False) -> list[FusionOutcome]:
    """Merge the members' saved models; one outcome per task (several with `multi_task`)."""
    started = time.perf_counter()
    store = ResultStore(results)
    paths = find_members(store, run_ids, selection)
    settings = merge_settings(how, weights, scale, density, seed, len(paths))
    groups = _load_groups(paths, multi_task, tasks_dirs, data_dir)
    members = [m for group, _ in groups for m in group]
    check_mergeable(members, how, multi_task, store)
    outcomes = {}
    for group, task in groups:
        options = {**settings, **({"task": task.name} if multi_task else {})}
        run_id = fused_id("merge", members, options)
        if not force and store.exists(task.name, run_id):
            outcomes[task.name] = FusionOutcome(store.load(task.name, run_id), store.record_path(task.name, run_id),
                                                skipped=True)
    if len(outcomes) == len(groups):
        return list(outcomes.values())
    store.check_writable()
    target = resolve_device(device)
    unfolded = [_unfold(store, m, task) for group, task in groups for m in group]
    first = unfolded[0]
    base = _pretrained(first)
    merging = time.perf_counter()
    backbone, chosen = _merged_backbone(how, settings, unfolded, base, groups, data_dir, target)
    merge_seconds = time.perf_counter() - merging
    for group, task in groups:
        if task.name in outcomes:
            continue
        options = {**settings, **({"task": task.name} if multi_task else {})}
        own = [u for u in unfolded if u.task.name == task.name and u.member.run_id in chosen]
        state = {**backbone, **_mean_heads(own, _member_weights(settings, unfolded), base)}
        outcomes[task.name] = _evaluate_and_record(store, task, group, members, state, options, settings, chosen,
                                                   merge_seconds, data_dir, target, n_boot, started)
    return [outcomes[task.name] for _, task in groups]


def _load_groups(paths, multi_task: bool, tasks_dirs, data_dir) -> list[tuple[list[Member], TaskDef]]:
    """Members by task: one group, or with `multi_task` one per task (each checked like an ensemble's members)."""
    if not multi_task:
        members, task = load_members(paths, tasks_dirs=tasks_dirs, data_dir=data_dir, needs_probabilities=False,
                                     minimum=2)
        return [(members, task)]
    by_task: dict[str, list[Path]] = {}
    for path in paths:
        by_task.setdefault(read_member(path).record["task"]["name"], []).append(path)
    if len(by_task) < 2:
        raise HarnessError("--multi-task merges runs of at least two tasks; these are all runs of "
                           f"{next(iter(by_task))} (leave out --multi-task)")
    return [load_members(group, tasks_dirs=tasks_dirs, data_dir=data_dir, needs_probabilities=False, minimum=1)
            for group in by_task.values()]


def _unfold(store: ResultStore, member: Member, task: TaskDef) -> Unfolded:
    """The member's saved model as a plain task model: an adapter merged into the layers it adapts."""
    trained = load_trained(saved_model_folder(store, member.record))
    model = trained.model
    if hasattr(model, "merge_and_unload"):  # peft
        model = model.merge_and_unload()
    return Unfolded(member, task, {k: v.detach().float().clone() for k, v in model.state_dict().items()})


def _pretrained(first: Unfolded) -> dict[str, torch.Tensor]:
    """The pretrained backbone's tensors (heads and fitted buffers are the members' own)."""
    spec = first.member.record["spec"]
    loaded = load_task_model(resolve_model(spec["model"]).path, first.task.kind, first.task.num_labels,
                             _pooling(first.member))
    return {k: v.detach().float().clone() for k, v in loaded.model.state_dict().items() if _is_backbone(k)}


def _pooling(member: Member) -> str | None:
    return (member.record.get("model") or {}).get("pooling") or member.record["spec"].get("pooling")


def _is_backbone(name: str) -> bool:
    return name.startswith("backbone.")


def _merged_backbone(how, settings, unfolded, base, groups, data_dir, target) -> tuple[dict[str, torch.Tensor], set]:
    """The merged backbone and the run ids it took (the greedy soup may leave members out)."""
    if how == "greedy":
        return _greedy(settings, unfolded, base, groups[0][1], data_dir, target)
    chosen = {u.member.run_id for u in unfolded}
    return _combine(how, settings, unfolded, base), chosen


def _combine(how: str, settings: dict[str, Any], unfolded: Sequence[Unfolded], base) -> dict[str, torch.Tensor]:
    deltas = [task_vector({k: u.state[k] for k in base}, base) for u in unfolded]
    weights = _weights(settings, len(unfolded), normalised=how in ("uniform", "greedy"))
    generator = torch.Generator().manual_seed(settings.get("seed", 0))
    merge_fn = MERGES["linear" if how in ("uniform", "greedy", "task-arithmetic") else how]
    change = merge_fn(deltas, weights, density=settings.get("density"), generator=generator)
    scale = settings.get("scale", 1.0)
    return {k: base[k] + scale * change[k] for k in base}


def _weights(settings: dict[str, Any], count: int, normalised: bool) -> list[float]:
    weights = settings.get("weights") or [1.0] * count
    total = sum(weights)
    return [w / total for w in weights] if normalised else list(weights)


def _member_weights(settings: dict[str, Any], unfolded: Sequence[Unfolded]) -> dict[str, float]:
    return dict(zip((u.member.run_id for u in unfolded), _weights(settings, len(unfolded), normalised=False)))


def _mean_heads(own: Sequence[Unfolded], weights: dict[str, float] | None, base) -> dict[str, torch.Tensor]:
    """A task's head (and fitted buffers): its members' mean, weighted as the members are."""
    raw = [1.0 if weights is None else weights[u.member.run_id] for u in own]
    total = sum(raw) or 1.0
    return {k: sum((w / total) * u.state[k] for w, u in zip(raw, own)) for k in own[0].state if k not in base}


def _greedy(settings, unfolded, base, task, data_dir, target) -> tuple[dict[str, torch.Tensor], set]:
    """Greedy soup: members by selection score, best first; each joins only if the soup's selection score does
    not drop (Wortsman et al. 2022, Algorithm 1)."""
    ranked = sorted(unfolded, key=lambda u: -(u.member.record.get("training") or {}).get("selection_score", 0))
    data = _data(task, ranked[0].member, data_dir)
    soup, best = [ranked[0]], None
    for candidate in ranked:
        trial = soup if candidate is ranked[0] else [*soup, candidate]
        state = {**_combine("uniform", {}, trial, base), **_mean_heads(trial, None, base)}
        score = _selection_score(task, ranked[0].member, state, data, target)
        if best is None or score >= best:
            soup, best = trial, score
    return _combine("uniform", {}, soup, base), {u.member.run_id for u in soup}


def _data(task: TaskDef, member: Member, data_dir):
    spec = member.record["spec"]
    seed = spec["seed"] if spec.get("init_seed") is None else spec["init_seed"]
    return prepare_data(task, data_dir, seed=seed, train_limit=spec.get("train_limit"),
                        eval_limit=spec.get("eval_limit"), fold=spec.get("fold"))


def _model(task: TaskDef, member: Member, state: dict[str, torch.Tensor], target):
    spec = member.record["spec"]
    loaded = load_task_model(resolve_model(spec["model"]).path, task.kind, task.num_labels, _pooling(member))
    loaded.model.load_state_dict(state, strict=True)
    return loaded, loaded.model.to(target).eval()


def _saved_run(task: TaskDef, member: Member, state, data, target) -> SavedRun:
    loaded, model = _model(task, member, state, target)
    spec = {**member.record["spec"], "training": {"batch_size": member.record["spec"]["training"]["batch_size"]}}
    return SavedRun(task, spec, data, model, loaded.tokenizer, loaded.is_decoder, target)


def _selection_score(task: TaskDef, member: Member, state, data, target) -> float:
    saved = _saved_run(task, member, state, data, target)
    predictions = saved.predictor(data.selection)
    return score_predictions(task, [task.headline], predictions.values, data.selection, n_boot=0).values[task.headline]


def _evaluate_and_record(store, task, group, members, state, options, settings, chosen, merge_seconds, data_dir,
                         target, n_boot, started) -> FusionOutcome:
    lead = group[0]
    data = _data(task, lead, data_dir)
    saved = _saved_run(task, lead, state, data, target)
    evaluated = evaluate_splits(task, data.evaluation, saved.predictor, seed=0, n_boot=n_boot)
    run_id = fused_id("merge", members, options)
    folder = store.model_path(task.name, run_id)
    parameters = sum(t.numel() for k, t in state.items() if not k.endswith(("target_shift", "target_scale")))
    manifest = {"run_id": run_id, "spec": {"model": lead.record["spec"]["model"], "method": "full",
                                           "method_options": {}, "pooling": _pooling(lead)},
                "task": task.name, "task_kind": task.kind, "num_labels": task.num_labels, "labels": list(task.labels),
                "total_updates": 1}
    deploy_bytes = save_trained(dict(state), folder, manifest)
    split = task.headline_split
    fusion = {"kind": "merge", "merge": settings["merge"], "weights": settings.get("weights"),
              "scale": settings.get("scale"), "density": settings.get("density"), "members": member_facts(members),
              "kept": [m.run_id for m in members if m.run_id in chosen], "merge_seconds": round(merge_seconds, 3),
              "against": against(task, group, evaluated.rows, max(n_boot, 1))}
    trained = [m.record.get("costs") or {} for m in members]  # what training the members took
    trainable = sum(int(c.get("trainable_parameters") or 0) for c in trained)
    member_total = sum(int(c.get("total_parameters") or 0) for c in trained)
    costs = {"members": len(members), "total_parameters": parameters, "trainable_parameters": trainable,
             "trainable_share": trainable / member_total if member_total else None,
             "train_seconds": round(sum(float(c.get("train_seconds") or 0) for c in trained), 3),
             "deploy_bytes": deploy_bytes, "whole_model_bytes": deploy_bytes,
             "inference_examples_per_second": evaluated.summaries[split]["examples_per_second"]}
    record = fused_record("merge", members, task, options, evaluated.metrics, fusion, costs, evaluated.summaries,
                          started, device=target.type, lead=lead)
    record["artifact"] = str(folder.relative_to(store.root))
    return FusionOutcome(record, store.write(record, evaluated.rows), skipped=False)
