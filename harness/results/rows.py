"""One run record -> the rows of the results table: one per (kind, variant, split, metric).

Columns, in this order (fixed ones first, then the record's own, sorted):
  run_id, created_at, task, suite, task_hash, model, method, seed      which run
  kind        "clean" (the run's metrics), "perturbed" (a perturbation of `harness run --perturb`) or "prompt"
              (one prompt variant of a prompt spread)
  variant     the perturbation's name or the prompt variant's name; empty on clean rows
  severity    the perturbation's severity on perturbed rows, else empty
  split, metric, value
  low, high   the bootstrap interval of a clean value (empty where none was recorded)
  n           examples scored on that split
  headline    true on the one row of the run's headline (clean, its headline split and metric)
  data_sha256, train_sha256   fingerprints of that split's data file and of the training data file
  spec.<path> every spec field not given above, nested keys joined by "." (spec.training.lr,
              spec.method_options.r, spec.remedy.adversarial.kind); lists as JSON text
  costs.<name> every scalar the record's costs hold (costs.trainable_parameters, costs.train_seconds,
              costs.peak_train_memory_mb, ...)

Types (harness.results.frame): value, low, high, severity float; n nullable integer; headline bool; created_at a UTC
timestamp; a spec field set in no run all-missing float; true/false with gaps nullable boolean; a field whose type
differs between runs JSON text in every row. Read an export back with the TEXT_COLUMNS as text (an id of digits
only stays an id): `pd.read_csv(path, dtype={c: str for c in TEXT_COLUMNS}, parse_dates=["created_at"])`.

So `frame[frame.kind == "clean"]` is the runs' own scores, and a clean value minus a perturbed one is the drop.
"""

from __future__ import annotations

import json
from typing import Any

RUN_COLUMNS = ("run_id", "created_at", "task", "suite", "task_hash", "model", "method", "seed")
ROW_COLUMNS = ("kind", "variant", "severity", "split", "metric", "value", "low", "high", "n", "headline",
               "data_sha256", "train_sha256")
COLUMNS = RUN_COLUMNS + ROW_COLUMNS
TEXT_COLUMNS = ("run_id", "task", "suite", "task_hash", "model", "method", "kind", "variant", "split", "metric",
                "data_sha256", "train_sha256")  # read these back as text: an id of digits only is still an id
_SPEC_SHOWN = {"model", "method", "task", "seed"}  # already columns of their own


def run_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The columns every row of a run shares: who ran what, its spec flattened, its scalar costs."""
    spec, task = record["spec"], record["task"]
    fields = {"run_id": record["run_id"], "created_at": record.get("created_at"), "task": task["name"],
              "suite": task.get("suite"), "task_hash": task.get("hash"), "model": spec["model"],
              "method": spec["method"], "seed": spec.get("seed")}
    _flatten({k: v for k, v in spec.items() if k not in _SPEC_SHOWN}, "spec.", fields)
    for name, value in (record.get("costs") or {}).items():
        if isinstance(value, (int, float, str, bool)) or value is None:
            fields[f"costs.{name}"] = value
    return fields


def metric_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's clean rows, then its perturbed rows, then its prompt variants' rows."""
    data = record.get("data") or {}
    sha = data.get("file_sha256") or {}
    train_sha = sha.get(data.get("train_split", "train"))
    headline = record.get("headline") or {}
    sizes = {split: block.get("n") for split, block in record["metrics"].items()}

    def row(kind: str, variant: str, split: str, metric: str, value: Any, **extra: Any) -> dict[str, Any]:
        return {"kind": kind, "variant": variant, "split": split, "metric": metric, "value": value,
                "n": sizes.get(split), "data_sha256": sha.get(split), "train_sha256": train_sha, **extra}

    rows = []
    for split, block in record["metrics"].items():
        intervals = block.get("intervals") or {}
        for metric, value in block["values"].items():
            low, high = intervals.get(metric) or (None, None)
            rows.append(row("clean", None, split, metric, value, low=low, high=high,
                            headline=(split, metric) == (headline.get("split"), headline.get("metric"))))
    for split, block in (record.get("robustness") or {}).items():
        for name, perturbation in block.get("perturbations", {}).items():
            for metric, value in perturbation["metrics"].items():
                rows.append(row("perturbed", name, split, metric, value, severity=perturbation.get("severity"),
                                n=block.get("examples", sizes.get(split)), headline=False))
    for split, variants in ((record.get("prompt_spread") or {}).get("scores") or {}).items():
        for name, scores in variants.items():
            for metric, value in scores.items():
                rows.append(row("prompt", name, split, metric, value, headline=False))
    return rows


def _flatten(value: dict[str, Any], prefix: str, into: dict[str, Any]) -> None:
    for key, item in value.items():
        if isinstance(item, dict):  # an empty one ({} method options) adds no column
            _flatten(item, f"{prefix}{key}.", into)
        elif isinstance(item, (list, tuple)):  # no list or dict cells: csv and parquet could not hold them
            into[prefix + key] = json.dumps(item, ensure_ascii=False)
        else:
            into[prefix + key] = item
