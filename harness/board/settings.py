"""A run's settings as the user chose them: what differs from the defaults for its method and task.

Leaderboard rows are (model, method, settings): runs are averaged over seeds only when
everything else about them is the same.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.attack.settings import describe as describe_attack
from harness.errors import HarnessError
from harness.methods import get_method
from harness.prompt_spread.settings import describe as describe_spread
from harness.remedy.settings import describe
from harness.spec import TRAINING_DEFAULTS, build_spec
from harness.tasks import load_task

_IDENTITY = ("model", "method", "task", "seed")


@lru_cache(maxsize=256)
def _defaults(method: str, task: str, task_path: str | None = None) -> dict[str, Any]:
    """The settings a run of `method` on `task` gets when nothing is asked for. The task is found by name
    (built-in, HARNESS_TASKS_PATH), else at the path its record names; without it, the global and method
    defaults still apply (only the task's own max_length is then shown)."""
    try:
        method_def = get_method(method)
    except HarnessError:
        return dict(TRAINING_DEFAULTS)  # a method no longer known: the global defaults
    for where in (task, task_path):
        if not where or (where == task_path and not Path(where).is_file()):
            continue
        try:
            return _flatten(build_spec("-", method_def, load_task(where)).to_dict())
        except HarnessError:
            continue
    training = {**TRAINING_DEFAULTS, **method_def.training_defaults} if method_def.trains else {}
    try:
        options = method_def.resolve_options({})
    except HarnessError:
        options = {}
    return {**training, **options}


def _flatten(spec: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in spec.items() if k not in _IDENTITY and not isinstance(v, dict)}
    for group in ("training", "method_options"):
        flat.update(spec.get(group) or {})
    return flat


def settings_label(spec: dict[str, Any], task_path: str | None = None) -> str:
    """'defaults', or the non-default settings: 'train_limit=4000, lr=0.0005'. An option left unset (None)
    is never shown; `task_path` (the record's task.path) finds a task that is not on the search path."""
    if "member_spec" in spec:
        return _fused_label(spec)
    defaults = _defaults(spec["method"], spec["task"], task_path)
    chosen = _flatten(spec)
    changed = [f"{k}={v}" for k, v in chosen.items()
               if v is not None and (k not in defaults or defaults[k] != v)]
    if spec.get("distill"):
        changed.append(_taught(spec["distill"]))
    if spec.get("remedy"):
        changed.append(f"remedy: {describe(spec['remedy'])}")
    if spec.get("attack"):
        changed.append(f"attack: {describe_attack(spec['attack'])}")
    if spec.get("prompt_spread"):
        changed.append(f"over {describe_spread(spec['prompt_spread'])}")
    return ", ".join(changed) if changed else "defaults"


def _taught(distill: dict[str, Any]) -> str:
    """'taught by d1da42b8 (alpha 0.5, T 2, + 20000 train unlabeled)'."""
    parts = [f"alpha {distill.get('alpha'):g}"] + ([f"T {distill['temperature']:g}"] if "temperature" in distill else [])
    if distill.get("unlabeled"):
        limit = distill.get("unlabeled_limit")
        parts.append(f"+ {'' if limit is None else f'{limit} '}{distill['unlabeled']} unlabeled")
    return f"taught by {str(distill.get('teacher'))[:8]} ({', '.join(parts)})"


def _fused_label(spec: dict[str, Any]) -> str:
    """An ensemble's or a merge's settings: 'soft of 3 lora runs (train_limit=4000, init_seed=0)'."""
    options = spec.get("method_options") or {}
    how = options.get("combine") or options.get("merge") or spec["method"]
    weights = options.get("weights")
    label = f"{how} of {len(options.get('members') or [])} {options.get('of', '')} runs".replace("  ", " ")
    if weights:
        label += f", weights {'/'.join(f'{w:g}' for w in weights)}"
    member_spec = spec.get("member_spec")
    if isinstance(member_spec, dict) and {"method", "task"} <= member_spec.keys():
        label += f" ({settings_label({**member_spec, 'seed': 0})})"
    return label
