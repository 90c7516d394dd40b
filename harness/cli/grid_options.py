"""Flags that describe a grid of runs, shared by `harness sweep` and `harness compare`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from harness.cli import options
from harness.cli.method_flags import method_option_flags, pop_method_options
from harness.attack.settings import AttackRequest
from harness.distill.settings import DistillRequest
from harness.remedy.settings import RemedyRequest, parse_remedies
from harness.errors import HarnessError
from harness.scale import BackboneSettings
from harness.prompt_spread.settings import SpreadRequest
from harness.sweep import Grid, MethodEntry, parse_seeds, read_sweep_file, split_names
from harness.sweep.grid import ATTACK_FILE_KEYS, SPREAD_FILE_KEYS

TRAINING_FLAGS = options.TRAINING_SETTINGS
RUN_FLAGS = ("train_limit", "eval_limit", "max_length", "pooling", "fold", "init_seed", "perturb", "student_layers")


def grid_options(command):
    """Decorator: the grid's dimensions, shared training settings and every method's option flags."""
    decorators = [
        click.option("--file", "sweep_file", type=click.Path(path_type=Path, dir_okay=False),
                     help="Sweep YAML file (models, methods, tasks, seeds, limits, training); flags override it."),
        click.option("--models", "--model", "models", help="Comma-separated models (default minilm)."),
        click.option("--methods", "--method", "methods", help="Comma-separated methods."),
        click.option("--tasks", "--task", "tasks", multiple=True, help="Comma-separated tasks (repeatable)."),
        click.option("--seeds", help="A count (3 means seeds 0,1,2) or a comma list (0,5). Default 1."),
        options.run_settings,
        click.option("--pooling", type=click.Choice(["mean", "cls", "last"])),
        options.perturb,
        options.attack_options,
        options.spread_options,
        options.distill_options,
        options.remedy_options,
        options.backbone_options,
        click.option("--remedies", help="Training remedies for robustness as a dimension of the grid: none, "
                                        "augment:NAME+NAME (perturbations or a family, e.g. augment:typos), fgm, pgd, "
                                        "freelb, comma-separated; --augment-prob, --adv-epsilon, ... set them. Runs "
                                        "are evaluated with --perturb (default all)."),
        method_option_flags,
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def grid_from_options(kwargs: dict[str, Any], *, default_methods: str | None = None) -> Grid:
    """Build the grid from the file (if any) and the flags in `kwargs` (consumed)."""
    path = kwargs.pop("sweep_file")
    content = read_sweep_file(path) if path else {}
    models = split_names(kwargs.pop("models") or content.get("models") or "minilm")
    tasks = [name for value in kwargs.pop("tasks") for name in split_names(value)] or split_names(
        content.get("tasks") or [])
    method_flag = kwargs.pop("methods")
    if method_flag:
        methods = [MethodEntry(name) for name in split_names(method_flag)]
    else:
        methods = content.get("methods") or [MethodEntry(name) for name in split_names(default_methods or "")]
    seeds_flag = kwargs.pop("seeds")
    seeds = parse_seeds(seeds_flag if seeds_flag is not None else content.get("seeds", 1))
    if not tasks:
        raise HarnessError("no task given: pass --task NAME (comma-separated for several) or list tasks in --file")
    if not methods:
        raise HarnessError("no method given: pass --methods full,lora,... or list methods in --file")
    flag_options = pop_method_options(kwargs, [m.name for m in methods])
    methods = [MethodEntry(m.name, {**m.options, **flag_options[m.name]}, m.training) for m in methods]
    flags = {key: kwargs.pop(key) for key in (*TRAINING_FLAGS, *RUN_FLAGS)}
    training = {**content.get("training", {}), **{k: flags[k] for k in TRAINING_FLAGS if flags[k] is not None}}
    run_settings = {k: content[k] for k in RUN_FLAGS if content.get(k) is not None}
    run_settings.update({k: flags[k] for k in RUN_FLAGS if flags[k] is not None})
    distill = merge_distill(content.get("distill"), options.distill_request(kwargs))
    if distill is not None:
        run_settings["distill"] = distill
    attack = options.attack_request(kwargs)
    attack = AttackRequest(**{field: getattr(attack, field) if getattr(attack, field) is not None else content.get(key)
                              for field, key in ATTACK_FILE_KEYS.items()})
    if attack != AttackRequest():
        run_settings["attack"] = attack
    spread = options.spread_request(kwargs)
    spread = SpreadRequest(**{field: getattr(spread, field) if getattr(spread, field) is not None else content.get(key)
                              for field, key in SPREAD_FILE_KEYS.items()})
    if spread.asked:
        run_settings["prompt_spread"] = spread
    backbone = merge_backbone(content, options.backbone_request(kwargs))
    if backbone.any:
        run_settings["backbone"] = backbone
    remedy = merge_remedy(content.get("remedy"), options.remedy_request(kwargs))
    remedies_text = kwargs.pop("remedies") or content.get("remedies")
    remedies = []
    if remedies_text:
        remedies = parse_remedies(str(remedies_text), remedy)
        run_settings.setdefault("perturb", "all")  # a remedy is judged by the noise it meets
    elif remedy is not None:
        run_settings["remedy"] = remedy
    return Grid(models=models, methods=methods, tasks=tasks, seeds=seeds, training=training, run_settings=run_settings,
                remedies=remedies)


def merge_distill(from_file: DistillRequest | None, from_flags: DistillRequest) -> DistillRequest | None:
    """The sweep file's distill mapping with the flags given on top; None when neither asks for anything."""
    merged = {**(vars(from_file) if from_file else {}),
              **{k: v for k, v in vars(from_flags).items() if v is not None}}
    return DistillRequest(**merged) if any(v is not None for v in merged.values()) else None


def merge_remedy(from_file: RemedyRequest | None, from_flags: RemedyRequest) -> RemedyRequest | None:
    """The sweep file's remedy mapping with the flags given on top; None when neither asks for anything."""
    merged = {**(vars(from_file) if from_file else {}),
              **{k: v for k, v in vars(from_flags).items() if v is not None}}
    request = RemedyRequest(**merged)
    return request if request.any() else None


def merge_backbone(content: dict[str, Any], from_flags: BackboneSettings) -> BackboneSettings:
    """The sweep file's quantize_base, gradient_checkpointing and attention with the flags given on top."""
    from_file = BackboneSettings.of(content)
    return BackboneSettings(quantize_base=from_flags.quantize_base or from_file.quantize_base,
                            gradient_checkpointing=from_flags.gradient_checkpointing or from_file.gradient_checkpointing,
                            attention=from_flags.attention or from_file.attention)
