"""The recorded runs an ensemble or a merge combines: found by id or by a selection, read, and checked to fit.

    paths = find_members(store, ["f7fc2e", "8a6ae4"])                       # by run id (or unique prefix)
    paths = find_members(store, [], Selection("sst2", "minilm", "lora", seeds=(0, 1, 2)))
    members = load_members(paths, tasks_dirs=None, data_dir=data)           # records + per-example rows

Members must be runs of one task definition, recorded on the same data files as are in place
now, scored on the same examples; anything else is refused in one line naming the mismatch.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.record.rerun import rerun_command
from harness.record.store import ResultStore
from harness.tasks import TaskDef, kinds, load_task
from harness.tasks.fingerprint import check_same_data

MIN_MEMBERS = 2
_IDENTITY = ("model", "method", "task", "seed")


@dataclass(frozen=True)
class Selection:
    """Members by what they are: runs of `task` (and model, method, seeds, settings when given)."""

    task: str
    model: str | None = None
    method: str | None = None
    seeds: tuple[int, ...] | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # setting -> value, as `flat_settings` names them

    def matches(self, record: dict[str, Any]) -> bool:
        spec = record["spec"]
        flat = flat_settings(spec)
        if "fusion" in record and self.method != spec["method"]:  # combinations count only when asked for
            return False
        return (record["task"]["name"] == self.task and self.model in (None, spec["model"])
                and self.method in (None, spec["method"]) and (self.seeds is None or spec["seed"] in self.seeds)
                and all(flat.get(k) == v for k, v in self.settings.items()))


@dataclass(frozen=True)
class Member:
    """One recorded run and its per-example rows by (split, example id)."""

    record: dict[str, Any]
    path: Path
    rows: dict[tuple[str, Hashable], dict[str, Any]]

    @property
    def run_id(self) -> str:
        return str(self.record["run_id"])

    def reported_keys(self) -> set[tuple[str, Hashable]]:
        """The (split, id) of every row of a reported split (selection-split rows left out)."""
        reported = set(self.record.get("metrics") or {})
        return {key for key in self.rows if key[0] in reported}

    @property
    def label(self) -> str:
        spec = self.record["spec"]
        return f"{self.run_id} ({spec['method']}, seed {spec['seed']})"


def flat_settings(spec: dict[str, Any]) -> dict[str, Any]:
    """Every setting of a spec but its identity, training and method options included: {'train_limit': 4000, ...}."""
    flat = {k: v for k, v in spec.items() if k not in _IDENTITY and not isinstance(v, dict)}
    for group in ("training", "method_options"):
        flat.update(spec.get(group) or {})
    return flat


def find_members(store: ResultStore, run_ids: Sequence[str], selection: Selection | None = None) -> list[Path]:
    """Record files of the members named by id, or else chosen by `selection` (one configuration only)."""
    if run_ids and selection is not None:
        raise HarnessError("name members either by run id or by --task/--model/--method/--seeds, not both")
    paths = [store.find_one(run_id) for run_id in run_ids] if run_ids else _selected(store, selection)
    if len(set(paths)) != len(paths):
        raise HarnessError("a member is named twice; name each run once (weights say how much one counts)")
    if len(paths) < MIN_MEMBERS:
        raise HarnessError(f"{len(paths)} member{'s' if len(paths) != 1 else ''} found; combining needs at least "
                           f"{MIN_MEMBERS} runs (name more run ids, or widen --seeds)")
    return paths


def _selected(store: ResultStore, selection: Selection | None) -> list[Path]:
    if selection is None:
        raise HarnessError("no members named: pass run ids, or --task (with --model, --method, --seeds)")
    chosen = [(path, record) for path, record, _ in store.records() if record and selection.matches(record)]
    configurations: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    for path, record in chosen:
        key = json.dumps({k: v for k, v in record["spec"].items() if k != "seed"}, sort_keys=True, default=str)
        configurations.setdefault(key, []).append((path, record))
    if len(configurations) > 1:
        raise HarnessError(f"the selection holds {len(configurations)} configurations: "
                           f"{_differences([runs[0][1] for runs in configurations.values()])}; "
                           "narrow it with --settings KEY=VALUE,... (or --model/--method), or name run ids")
    runs = next(iter(configurations.values()), [])
    return [path for path, _ in sorted(runs, key=lambda item: item[1]["spec"]["seed"])]


def _differences(records: list[dict[str, Any]]) -> str:
    """'model=minilm, method=lora, train_limit=2000 | ... train_limit=4000, init_seed=0' (what tells them apart)."""
    flats = [{"model": r["spec"]["model"], "method": r["spec"]["method"], **flat_settings(r["spec"])} for r in records]
    keys = sorted({k for flat in flats for k in flat if len({json.dumps(f.get(k)) for f in flats}) > 1})
    return " | ".join(", ".join(f"{k}={flat.get(k)}" for k in keys) for flat in flats[:4]) + \
        (" | ..." if len(flats) > 4 else "")


def load_members(paths: Sequence[Path], *, tasks_dirs: Sequence[Path] | None, data_dir: Path | None,
                 needs_probabilities: bool, minimum: int = MIN_MEMBERS) -> tuple[list[Member], TaskDef]:
    """The members' records and rows, checked to be one task on unchanged data and the same examples."""
    members = [read_member(path) for path in paths]
    if len(members) < minimum:
        raise HarnessError(f"{len(members)} member(s); combining needs at least {minimum}")
    first = members[0]
    tasks = {m.record["task"]["name"] for m in members}
    if len(tasks) > 1:
        raise HarnessError(f"the members are runs of different tasks ({', '.join(sorted(tasks))}); an ensemble "
                           "combines runs of one task (a merge of different tasks: `harness merge --multi-task`)")
    for member in members[1:]:
        if member.record["task"]["hash"] != first.record["task"]["hash"]:
            raise HarnessError(f"runs {first.run_id} and {member.run_id} were recorded under different definitions "
                               f"of task {first.record['task']['name']}; combine runs of one task version")
        if (member.record.get("data") or {}).get("file_sha256") != (first.record.get("data") or {}).get("file_sha256"):
            raise HarnessError(f"runs {first.run_id} and {member.run_id} were recorded on different data files; "
                               "combine runs made from the same data folder")
        if member.reported_keys() != first.reported_keys():
            raise HarnessError(f"runs {first.run_id} and {member.run_id} were scored on different examples "
                               f"({len(first.reported_keys())} vs {len(member.reported_keys())} predictions); combine "
                               "runs made with the same --eval-limit")
    task = load_task(first.record["spec"]["task"], tasks_dirs)
    for member in members:
        check_same_data(member.record, task, data_dir)
    if needs_probabilities and task.kind != kinds.REGRESSION:
        for member in members:
            if any("probabilities" not in row for row in member.rows.values()):
                again = rerun_command(member.record["spec"], "--force")
                raise HarnessError(f"run {member.label} has no probabilities in its predictions file (recorded "
                                   f"before they were kept); rerun it with `{again}` and combine again")
    return members, task


def read_member(path: Path) -> Member:
    store = ResultStore(path.parent.parent)
    record = store.load(path.parent.name, path.stem)
    rows = {}
    for row in store.load_predictions(path.parent.name, path.stem):
        example = row["id"]
        rows[(row["split"], tuple(example) if isinstance(example, list) else example)] = row
    return Member(record, path, rows)
