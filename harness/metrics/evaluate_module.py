"""Load a Hugging Face `evaluate` metric named in a task file: `evaluate:TARGET[#KEY]`.

TARGET is a local metric script or folder when it exists relative to the task file's
folder, or looks like a path (starts with ./ ../ / ~, or ends in .py); else it is a hub
name such as `accuracy`, which needs a network or evaluate's cache. Each module is loaded
once per process. `#KEY` picks one number of a metric that returns several.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.metrics.base import LABELS, SCORES, TAGS

PREFIX = "evaluate:"
_KEY_MARK = "#"
_LOADED: dict[str, Any] = {}  # resolved target -> evaluate.EvaluationModule


@dataclass(frozen=True)
class EvaluateTarget:
    """What `evaluate:TARGET#KEY` names, with relative paths resolved."""

    written: str  # the whole name as the task file writes it
    target: str  # a hub name, or an absolute path
    is_path: bool
    key: str | None  # the number picked from the metric's result, if named

    @property
    def short_name(self) -> str:
        """The name a result key is matched against: the hub name, or the script's / folder's stem."""
        return Path(self.target).stem if self.is_path else self.target.rsplit("/", 1)[-1]


def is_evaluate_name(name: str) -> bool:
    return name.startswith(PREFIX)


def parse(written: str, base_dir: Path) -> EvaluateTarget:
    body = written[len(PREFIX):]
    target, _, key = body.partition(_KEY_MARK)
    if not target:
        raise HarnessError(f"'{written}' names no metric; write evaluate:NAME (a hub metric) or evaluate:./PATH "
                           "(a local metric script or folder)")
    local = (base_dir / target).expanduser()
    looks_like_path = target.startswith((".", "/", "~")) or target.endswith(".py")
    is_path = looks_like_path or local.exists()
    return EvaluateTarget(written, str(local.resolve()) if is_path else target, is_path, key or None)


def load_module(target: EvaluateTarget) -> Any:
    """The evaluate module (cached per process); HarnessError in one line if it cannot be loaded."""
    if target.target not in _LOADED:
        _LOADED[target.target] = _load(target)
    return _LOADED[target.target]


def _load(target: EvaluateTarget) -> Any:
    import evaluate  # slow to import (~2 s): only when a task names an evaluate metric

    if target.is_path and not Path(target.target).exists():
        raise HarnessError(f"{target.written}: no metric script or folder at {target.target}; fix the path "
                           "(relative paths start from the task file's folder)")
    try:
        # keep_in_memory: compute() writes no cache files under ~/.cache
        module = evaluate.load(target.target, keep_in_memory=True)
    except (FileNotFoundError, ConnectionError) as error:
        if target.is_path:
            raise HarnessError(f"{target.written}: {_first_line(error)}; give a metric script (.py) or a folder "
                               "holding one of the folder's name") from None
        offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0") or evaluate.config.HF_EVALUATE_OFFLINE
        why = "offline (HF_HUB_OFFLINE is set)" if offline else "not reachable, or no such metric there"
        raise HarnessError(f"{target.written}: the Hugging Face hub is {why} and evaluate's cache lacks "
                           f"'{target.target}'; copy the metric's script folder beside the task file and name it "
                           f"as a path, e.g. evaluate:./{target.short_name}") from None
    except Exception as error:  # noqa: BLE001 - the user's own code: a syntax error, an import it lacks, ...
        if isinstance(error, TypeError) and "'NoneType' object is not callable" in str(error):
            # evaluate.load found no EvaluationModule class in the script and called None
            raise HarnessError(f"{target.written}: the script defines no metric class; it must define an "
                               "evaluate.Metric subclass with _info() and _compute(predictions, references)") from None
        raise HarnessError(f"{target.written}: the metric module failed to load ({type(error).__name__}: "
                           f"{_first_line(error)}); fix the module (it must define an evaluate.Metric)") from None
    if not isinstance(module, evaluate.Metric):
        raise HarnessError(f"{target.written}: {type(module).__name__} is not an evaluate.Metric; define a "
                           "subclass of evaluate.Metric with _info() and _compute(predictions, references)")
    return module


def code_hash(module: Any) -> str:
    """sha256 of the script the metric's class was imported from: the code that scores."""
    return hashlib.sha256(Path(inspect.getfile(type(module))).read_bytes()).hexdigest()


def input_kinds(module: Any) -> set[str]:
    """The harness input kinds the module's declared features accept (one or several feature sets)."""
    features = module.info.features
    found = set()
    for option in features if isinstance(features, list) else [features]:
        if "predictions" in option and "references" in option:
            kinds = {_kind(option["predictions"]), _kind(option["references"])}
            if len(kinds) == 1 and None not in kinds:
                found |= kinds
    return found


def _kind(feature: Any) -> str | None:
    """LABELS for an int Value, SCORES for a float Value, TAGS for a sequence of strings."""
    inner = feature[0] if isinstance(feature, list) and len(feature) == 1 else getattr(feature, "feature", None)
    if inner is not None:
        return TAGS if getattr(inner, "dtype", None) == "string" else None
    dtype = str(getattr(feature, "dtype", ""))
    if dtype.startswith(("int", "uint")) or dtype == "bool":
        return LABELS
    if dtype.startswith("float"):
        return SCORES
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
