"""What a run logs, from its spec and its record: flat names and plain values every tracker takes."""

from __future__ import annotations

import json
import math
import re
from typing import Any

Scalar = str | int | float | bool


def run_config(spec: dict[str, Any], task: str, run_id: str) -> dict[str, Scalar]:
    """The spec as hyper-parameters, flattened ("training.lr"), with the run's id and task."""
    return {"run_id": run_id, "task": task, **flatten(spec)}


def flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Scalar]:
    """Nested mappings joined with dots; None, lists and other values as text (hyper-parameters must be scalars)."""
    flat: dict[str, Scalar] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            flat.update(flatten(item, f"{name}."))
        elif isinstance(item, (str, int, float, bool)):
            flat[name] = item
        else:
            flat[name] = "None" if item is None else json.dumps(item, ensure_ascii=False, default=str)
    return flat


def final_values(record: dict[str, Any]) -> dict[str, float]:
    """Every reported metric with its interval bounds, and the robustness and prompt-spread summaries."""
    values: dict[str, float] = {}
    for split, entry in record["metrics"].items():
        for metric, value in entry["values"].items():
            _put(values, f"final/{split}/{metric}", value)
            interval = (entry.get("intervals") or {}).get(metric)
            if interval:
                _put(values, f"final/{split}/{metric}_low", interval[0])
                _put(values, f"final/{split}/{metric}_high", interval[1])
    if record.get("robustness"):
        values.update(numbers(record["robustness"], "robustness"))
    if record.get("prompt_spread"):
        values.update(numbers(record["prompt_spread"].get("splits", {}), "prompt_spread"))
    return values


def numbers(value: Any, prefix: str) -> dict[str, float]:
    """The numeric leaves of a summary, named by their path; an [low, high] pair as name_low and name_high."""
    found: dict[str, float] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(numbers(item, f"{prefix}/{key}"))
    elif isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_number(v) for v in value):
        _put(found, f"{prefix}_low", value[0])
        _put(found, f"{prefix}_high", value[1])
    else:
        _put(found, prefix, value)
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _put(values: dict[str, float], name: str, value: Any) -> None:
    if _is_number(value) and math.isfinite(value):
        values[_KEY.sub("_", name)] = float(value)


_KEY = re.compile(r"[^\w./\- :]")  # what MLflow accepts in a metric name (the others take it too)
