"""Flags that name the members of an ensemble or a merge, shared by `harness ensemble` and `harness merge`."""

from __future__ import annotations

from typing import Any

import click
import yaml

from harness.errors import HarnessError
from harness.fusion import Selection
from harness.ranges import Range
from harness.sweep import parse_seeds

WEIGHT = Range(float, 0, 1e6, meaning="a member's weight; they are scaled to sum to one")


def member_options(command):
    """Decorator: --task, --model, --method, --seeds, --settings (a selection instead of run ids)."""
    decorators = [
        click.option("--task", help="Members: runs of this task (instead of run ids)."),
        click.option("--model", help="Members: runs of this model."),
        click.option("--method", help="Members: runs of this method."),
        click.option("--seeds", help="Members: these seeds (a count, 3 meaning 0,1,2, or a list 0,5)."),
        click.option("--settings", help="Members: runs with these settings, KEY=VALUE,... (train_limit=4000,"
                                        "init_seed=0), when the selection holds several configurations."),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def selection_from(run_ids, task, model, method, seeds, settings) -> Selection | None:
    """The selection the flags describe; None when none is given (members named by id)."""
    if task is None:
        if model or method or seeds or settings:
            raise HarnessError("--model, --method, --seeds and --settings narrow a selection: give --task too, or "
                               "name the members by run id")
        return None
    return Selection(task, model, method, None if seeds is None else tuple(parse_seeds(seeds)),
                     parse_settings(settings))


def parse_settings(text: str | None) -> dict[str, Any]:
    """'train_limit=4000,init_seed=0' -> {'train_limit': 4000, 'init_seed': 0} (values read as YAML scalars)."""
    settings: dict[str, Any] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise HarnessError(f"--settings {text!r}: expected KEY=VALUE pairs separated by commas, such as "
                               "train_limit=4000,init_seed=0")
        try:
            settings[key.strip()] = yaml.safe_load(value.strip())
        except yaml.YAMLError:
            settings[key.strip()] = value.strip()
    return settings


def parse_weights(text: str | None) -> list[float] | None:
    """'2,1,1' -> [2.0, 1.0, 1.0], each within WEIGHT's range."""
    if text is None:
        return None
    weights = []
    for item in text.split(","):
        try:
            value = float(item)
        except ValueError:
            raise HarnessError(f"--weights {text!r}: {item.strip()!r} is not a number; give numbers separated by "
                               "commas, such as 2,1,1") from None
        weights.append(WEIGHT.check("--weights item", value))
    return weights
