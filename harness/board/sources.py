"""What a leaderboard reads: run records and `harness profile` records, each with the fields rows and filters use.

Run records: <results>/<task>/<run_id>.json. Profile records: <results>/<task>/profiles/*.json
(kind "profile"), one entry per measured variant. A leaderboard shows each variant of a run
on a device from its newest profile (board.py).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.board.settings import settings_label
from harness.errors import HarnessError
from harness.record.store import ResultStore

NO_VARIANT = "none"  # a run evaluated as trained, without a compressed variant
NO_PERTURBATION = "none"  # a run evaluated on clean data only


@dataclass(frozen=True)
class Source:
    """One run record, or one variant entry of a profile record, with its row and filter fields."""

    kind: str  # "run" or "profile"
    keys: dict[str, str]  # model, method, settings, variant, perturb, task, run, seed
    record: dict[str, Any]  # the run record, or the profile record
    entry: dict[str, Any] = field(default_factory=dict)  # profile: the variant's entry
    created_at: str = ""

    @property
    def run_id(self) -> str:
        return self.keys["run"]

    @property
    def seed(self) -> int | None:
        return int(self.keys["seed"]) if self.keys["seed"].lstrip("-").isdigit() else None

    @property
    def task(self) -> str:
        return self.keys["task"]

    @property
    def prompt_hash(self) -> str | None:
        return self.record.get("spec", {}).get("prompt_hash") if self.kind == "run" else None


@dataclass(frozen=True)
class Sources:
    runs: list[Source]
    profiles: list[Source]  # newest first
    warnings: list[str]

    @property
    def everything(self) -> list[Source]:
        return [*self.runs, *self.profiles]


def run_keys(record: Mapping[str, Any]) -> dict[str, str]:
    """What a view's filters and rows read from a run record."""
    spec = record["spec"]
    return {"model": str(spec["model"]), "method": str(spec["method"]), "settings": settings_label(spec, (record.get("task") or {}).get("path")),
            "variant": str(spec.get("variant") or NO_VARIANT), "perturb": str(spec.get("perturb") or NO_PERTURBATION),
            "task": str(record["task"]["name"]),
            "run": str(record["run_id"]), "seed": str(spec["seed"])}


def _profile_sources(path: Path, record: Mapping[str, Any], runs: Mapping[str, Source]) -> list[Source]:
    model = record.get("model") or {}
    run = runs.get(str(model.get("run_id")))
    out = []
    for entry in record.get("variants") or []:
        keys = {
            "model": str(entry.get("model") or model.get("name")),
            "method": str(model.get("method") or "pretrained"),
            "settings": run.keys["settings"] if run else "-",
            "variant": str(entry.get("variant")),
            "perturb": NO_PERTURBATION,  # a profile times and scores clean inputs
            "task": str((record.get("task") or {}).get("name")),
            "run": str(model.get("run_id") or "-"),
            "seed": run.keys["seed"] if run else "-",
        }
        out.append(Source("profile", keys, dict(record), dict(entry), str(record.get("created_at") or path.stem)))
    return out


def load_sources(results: Path | str) -> Sources:
    """Every readable run and profile record under `results`; a warning per file skipped."""
    store = ResultStore(results)
    runs, warnings = [], []
    for path, record, problem in store.records():
        if record is None:
            warnings.append(f"skipped {path}: {problem}")
            continue
        try:
            runs.append(Source("run", run_keys(record), record, created_at=str(record.get("created_at", ""))))
        except (KeyError, TypeError) as exc:
            warnings.append(f"skipped {path}: a run record without {exc}")  # one line per file, this one
            continue
        if problem:  # readable, with something to know about it
            warnings.append(f"{path}: {problem}")
    by_id = {run.run_id: run for run in runs}
    profiles: list[Source] = []
    for path in sorted(store.root.glob("*/profiles/*.json")) if store.root.is_dir() else []:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            warnings.append(f"skipped {path}: unreadable ({type(exc).__name__})")
            continue
        if isinstance(record, dict) and record.get("kind") == "profile":
            profiles += _profile_sources(path, record, by_id)
    profiles.sort(key=lambda s: s.created_at, reverse=True)
    return Sources(runs, profiles, warnings)


def matches(value: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


def filter_problem(sources: Iterable[Source], filters: Mapping[str, Sequence[str]], where: str) -> str | None:
    """Why no source passes the filters (the first filter matching nothing, or the combination), else None."""
    sources = list(sources)
    for key, patterns in filters.items():
        seen = sorted({s.keys[key] for s in sources})
        if not any(matches(value, patterns) for value in seen):
            shown = " | ".join(seen[:20]) + (" | ..." if len(seen) > 20 else "")
            return (f"the view's filter runs.{key}: {' | '.join(patterns)} matched no record in {where} "
                    f"({key} recorded: {shown or 'none'}); fix the filter or record such runs")
    if not any(all(matches(s.keys[k], p) for k, p in filters.items()) for s in sources):
        shown = "; ".join(f"{k}: {', '.join(p)}" for k, p in filters.items())
        return (f"each of the view's filters matches some record in {where}, but no record matches all "
                f"of them together ({shown}); loosen one of them")
    return None


def apply_filters(sources: Iterable[Source], filters: Mapping[str, Sequence[str]], where: str) -> list[Source]:
    """The sources every filter matches; HarnessError naming the filter that matched nothing."""
    sources = list(sources)
    problem = filter_problem(sources, filters, where)
    if problem:
        raise HarnessError(problem)
    return [s for s in sources if all(matches(s.keys[k], p) for k, p in filters.items())]
