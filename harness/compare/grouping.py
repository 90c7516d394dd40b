"""Run records -> methods over seeds, checked comparable, with predictions aligned by example.

Comparing two numbers only makes sense when everything but the method and the seed is the
same: the task definition (its hash), the model, the headline split and metric, and the
settings that decide which examples are trained on and scored (limits, length, pooling,
fold). Training options and method options may differ between methods (LoRA wants a higher
learning rate than full fine-tuning); a method run with several of them becomes one row
per configuration, labelled by what differs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError, unknown_name
from harness.remedy.settings import describe
from harness.tasks import kinds

Record = dict[str, Any]

# what must be the same in every run compared: (what to call it, how to read it)
_SAME_EVERYWHERE: tuple[tuple[str, Callable[[Record], Any]], ...] = (
    ("task", lambda r: r["task"]["name"]),
    ("task definition hash", lambda r: r["task"].get("hash")),
    ("model", lambda r: r["spec"]["model"]),
    ("headline split", lambda r: r["headline"]["split"]),
    ("headline metric", lambda r: r["headline"]["metric"]),
    ("max_length", lambda r: r["spec"].get("max_length")),
    ("train_limit", lambda r: r["spec"].get("train_limit")),
    ("eval_limit", lambda r: r["spec"].get("eval_limit")),
    ("pooling", lambda r: r["spec"].get("pooling")),
    ("fold", lambda r: r["spec"].get("fold")),
)


_TEACHER_MAY_DIFFER = ("model", "max_length", "train_limit", "pooling", "fold")


@dataclass(frozen=True)
class MethodRuns:
    """One configuration of one method, over seeds."""

    method: str
    label: str  # the method's name, plus the settings that tell its configurations apart
    settings: dict[str, Any]  # training options and method options (prefixed "method_options.")
    by_seed: dict[int, Record]


def check_comparable(runs: Sequence[Record]) -> None:
    """Raise a HarnessError naming the first thing that differs between runs."""
    if not runs:
        raise HarnessError("no runs to compare; run at least the reference method and one other on the task")
    teachers = {(run["spec"].get("distill") or {}).get("teacher") for run in runs} - {None}
    for what, read in _SAME_EVERYWHERE:
        # a student's teacher may be another model, trained on other examples (only the scored ones must match)
        checked = [run for run in runs if what not in _TEACHER_MAY_DIFFER or run["run_id"] not in teachers]
        values = sorted({json.dumps(read(run), sort_keys=True) for run in checked})
        if len(values) > 1:
            shown = ", ".join(values[:4]) + (", ..." if len(values) > 4 else "")
            raise HarnessError(
                f"the runs differ in {what} ({shown}); compare runs of one task definition, model and "
                "settings at a time (filter the runs, or rerun the older ones)"
            )


def settings_of(record: Record) -> dict[str, Any]:
    spec = record["spec"]
    options = {f"method_options.{k}": v for k, v in (spec.get("method_options") or {}).items()}
    # a smaller student, a taught one, a teacher of another model: rows of their own
    student = {"student_layers": spec.get("student_layers"), "model": spec.get("model"),
               **{f"distill.{k}": v for k, v in (spec.get("distill") or {}).items()}}
    # what a run trained against (none, augment typos, fgm...): a row of its own
    return {**(spec.get("training") or {}), **options, **student, "remedy": describe(spec.get("remedy"))}


def _label(method: str, settings: dict[str, Any], differing: list[str]) -> str:
    members = settings.get("method_options.members")
    if isinstance(members, list):  # an ensemble or a merge: how, and of what
        how = settings.get("method_options.combine") or settings.get("method_options.merge")
        return f"{method} ({how} of {len(members)} {settings.get('method_options.of', '')} runs)"
    if not differing:
        return method
    if settings.get("role") == "teacher":
        differing = [key for key in differing if key in ("role", "model", "student_layers")]
    shown = ", ".join(_shown(key, settings.get(key)) for key in differing
                      if settings.get(key) is not None or key in ("student_layers", "distill.teacher"))
    return f"{method} ({shown})"


def _differs(key: str, configurations: list[dict[str, Any]]) -> bool:
    """Whether `key` tells configurations apart; a distillation setting only among the taught ones."""
    if key.startswith("distill.") and key != "distill.teacher":
        configurations = [s for s in configurations if s.get("distill.teacher") is not None]
    return len({json.dumps(s.get(key), sort_keys=True, default=str) for s in configurations}) > 1


def _shown(key: str, value: Any) -> str:
    if key == "role":
        return str(value)
    if key == "student_layers":
        return "all layers" if value is None else f"{value} layers"
    if key == "distill.teacher":
        return "no teacher" if value is None else f"taught by {value[:8]}"
    if key in ("model", "remedy"):
        return str(value)
    return f"{key.removeprefix('method_options.').removeprefix('distill.')}={value}"


def group_methods(runs: Sequence[Record]) -> list[MethodRuns]:
    """One MethodRuns per (method, configuration); a run given twice counts once."""
    configs: dict[str, dict[str, tuple[dict[str, Any], dict[int, Record]]]] = {}
    teachers = {(run["spec"].get("distill") or {}).get("teacher") for run in runs} - {None}
    for run in runs:
        method, settings = run["spec"]["method"], settings_of(run)
        if run["run_id"] in teachers:
            settings["role"] = "teacher"
        key = json.dumps(settings, sort_keys=True, default=str)
        _, by_seed = configs.setdefault(method, {}).setdefault(key, (settings, {}))
        seed = int(run["spec"]["seed"])
        if seed in by_seed and by_seed[seed]["run_id"] != run["run_id"]:
            raise HarnessError(
                f"two different runs of {method} with seed {seed} and the same settings "
                f"({by_seed[seed]['run_id']}, {run['run_id']}); pass each run once"
            )
        by_seed[seed] = run
    grouped = []
    for method, by_config in configs.items():
        all_keys = sorted({key for settings, _ in by_config.values() for key in settings})
        differing = [key for key in all_keys if _differs(key, [s for s, _ in by_config.values()])]
        for settings, by_seed in by_config.values():
            label = _label(method, settings, differing)
            grouped.append(MethodRuns(method, label, settings, dict(sorted(by_seed.items()))))
    return grouped


def find_reference(methods: Sequence[MethodRuns], reference: str) -> MethodRuns:
    matching = [m for m in methods if m.method == reference or m.label == reference]
    if not matching:
        raise unknown_name("reference method", reference, {m.label for m in methods})
    if len(matching) > 1:
        labels = "; ".join(m.label for m in matching)
        raise HarnessError(
            f"the reference method {reference} ran with several settings ({labels}); "
            "pass one of these labels as the reference, or only one configuration of it"
        )
    return matching[0]


@dataclass(frozen=True)
class Aligned:
    """Every run's predictions and the references on one split, in one example order."""

    ids: list[Hashable]
    references: list[Any]
    predictions: dict[str, list[Any]]  # run_id -> predictions in the order of ids


def align_predictions(
    runs: Sequence[Record], predictions: Mapping[str, Sequence[Mapping[str, Any]]], split: str
) -> Aligned:
    """Line runs up by example id on `split`; refuse runs scored on different examples."""
    first_id: str | None = None
    ids: list[Hashable] = []
    references: list[Any] = []
    aligned: dict[str, list[Any]] = {}
    for run in runs:
        run_id = run["run_id"]
        if run_id not in predictions:
            raise HarnessError(
                f"no per-example predictions for run {run_id} ({run['spec']['method']}, seed {run['spec']['seed']}); "
                "its predictions file (.predictions.jsonl.gz) is needed for paired tests: rerun it with --force"
            )
        rows = {_key(row["id"]): row for row in predictions[run_id] if row.get("split") == split}
        if first_id is None:
            first_id, ids = run_id, list(rows)
            references = [rows[i]["reference"] for i in ids]
        elif rows.keys() != set(ids):
            raise HarnessError(
                f"runs {first_id} and {run_id} have predictions for different {split} examples "
                f"({len(ids)} vs {len(rows)}); compare runs made with the same data and eval_limit"
            )
        else:
            for i, reference in zip(ids, references):
                if rows[i]["reference"] != reference:
                    raise HarnessError(
                        f"runs {first_id} and {run_id} disagree on the reference of {split} example {i!r}; "
                        "they were scored on different data: compare runs made from the same data folder"
                    )
        aligned[run_id] = [rows[i]["prediction"] for i in ids]
    if not ids:
        raise HarnessError(f"the runs have no predictions on the {split} split; rerun them with --force")
    return Aligned(ids, references, aligned)


def _key(example_id: Any) -> Hashable:
    return tuple(example_id) if isinstance(example_id, list) else example_id


def metric_options(runs: Sequence[Record], aligned: Aligned) -> dict[str, Any]:
    """num_classes / tag_names shared by every run, so their per-example rows line up."""
    task = runs[0]["task"]
    labels = task.get("labels")
    if task["kind"] == kinds.TOKEN_CLASSIFICATION:
        if labels:
            return {"tag_names": list(labels)}
        seen = {tag for tags in aligned.references for tag in tags}
        seen.update(tag for run in aligned.predictions.values() for tags in run for tag in tags)
        return {"tag_names": sorted(seen)}
    if task["kind"] in kinds.CLASSIFICATION_KINDS:
        if labels:
            return {"num_classes": len(labels)}
        everything = [*aligned.references, *(p for run in aligned.predictions.values() for p in run)]
        return {"num_classes": int(max(everything)) + 1}
    return {}
