"""Leaderboard views: YAML files saying which runs, which rows, which columns, what order.

Views are found by name in, in order (a later folder's view replaces an earlier one of the
same name): the package's built-in views (harness/board/views/), the folders in
HARNESS_LEADERBOARDS_PATH (os.pathsep-separated), folders given with --views-dir, then
folders installed packages expose under the entry point group "harness.leaderboards".
A path to a YAML file loads that file. The format is documented in harness/board/views/README.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import harness
from harness.board.columns import ColumnSpec, parse_column
from harness.errors import HarnessError, unknown_name
from harness.registry import entry_point_folders
from harness.yaml_file import YamlFile, read_mapping

VIEWS_PATH_ENV = "HARNESS_LEADERBOARDS_PATH"
ENTRY_POINT_GROUP = "harness.leaderboards"
BUILTIN_DIR = Path(harness.__file__).resolve().parent / "board" / "views"  # package data: in a wheel too
FILTER_KEYS = ("model", "method", "task", "variant", "perturb", "settings")
ROW_FIELDS = ("model", "method", "settings", "variant", "task", "run", "seed")
DEFAULT_ROWS = ("model", "method", "settings")
AGGREGATES = ("mean", "median")
PLOT_KINDS = {"pareto": {"x", "y", "title"}, "drops": {"task", "metric", "split", "title"}}
_TOP_KEYS = ("name", "title", "description", "runs", "rows", "columns", "aggregate", "sort", "plots")
VIEW_FILE = YamlFile(
    name="{path}",
    holds="a mapping with name, title, runs, rows, columns",
    if_unreadable="give a view name or a readable YAML file",
    if_invalid="fix the file (format in harness/board/views/README.md)",
)


@dataclass(frozen=True)
class Sort:
    column: str  # a column label
    descending: bool | None = None  # None: best first, by the column's direction


@dataclass(frozen=True)
class PlotSpec:
    kind: str  # "pareto": y against x with the Pareto front; "drops": per-perturbation drops of a task
    x: str | None = None  # pareto: column labels
    y: str | None = None
    task: str | None = None  # drops
    metric: str | None = None
    split: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class View:
    name: str
    title: str
    description: str
    filters: dict[str, tuple[str, ...]]  # key -> fnmatch patterns, any of which may match
    rows: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    aggregate: str = "mean"
    sort: Sort | None = None
    plots: tuple[PlotSpec, ...] = ()
    path: Path | None = None
    ranked: bool = True  # False: rows in name order whatever `sort` says (the all-runs board)

    def column(self, label: str) -> ColumnSpec:
        for spec in self.columns:
            if spec.label == label:
                return spec
        raise unknown_name("column", label, [spec.label for spec in self.columns])


def view_folders(extra_dirs: Iterable[str | Path] | None = None) -> list[Path]:
    """Folders searched for views, in order; later folders override earlier ones."""
    folders = [BUILTIN_DIR] if BUILTIN_DIR.is_dir() else []
    entries = [(e, VIEWS_PATH_ENV) for e in os.environ.get(VIEWS_PATH_ENV, "").split(os.pathsep) if e.strip()]
    entries += [(e, "--views-dir") for e in extra_dirs or ()]
    entries += entry_point_folders(ENTRY_POINT_GROUP)
    for entry, origin in entries:
        folder = Path(entry).expanduser().resolve()
        if not folder.is_dir():
            raise HarnessError(f"{origin} names {folder}, which is not a folder of leaderboard views; give an "
                               "existing folder of view YAML files")
        folders.append(folder)
    return folders


def list_views(extra_dirs: Iterable[str | Path] | None = None) -> dict[str, Path]:
    """View name -> the file that defines it, after overrides."""
    found: dict[str, Path] = {}
    for folder in view_folders(extra_dirs):
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            raw = read_mapping(path, VIEW_FILE)
            found[str(raw.get("name") or path.stem)] = path
    return found


def load_view(name_or_path: str | Path, extra_dirs: Iterable[str | Path] | None = None) -> View:
    """A view by name (searched as above) or by path to its YAML file."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith((".yaml", ".yml")) or "/" in text or os.sep in text:
        path = Path(text)
        if not path.is_file():
            raise HarnessError(f"leaderboard view file {path} does not exist; give a view name or a YAML file")
    else:
        views = list_views(extra_dirs)
        if text not in views:
            raise unknown_name("leaderboard view", text, views)
        path = views[text]
    return parse_view(read_mapping(path, VIEW_FILE), str(path), path)


def _names(value: Any, where: str) -> tuple[str, ...]:
    """A name or a list of names (fnmatch globs allowed)."""
    items = [value] if isinstance(value, (str, int)) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, (str, int)) for v in items):
        raise HarnessError(f"{where}: expected a name or a list of names, found {value!r}")
    return tuple(str(v) for v in items)


def parse_view(raw: Mapping[str, Any], source: str, path: Path | None = None) -> View:
    """Check a parsed view; every problem is one HarnessError naming the file and the key."""
    unknown = sorted(set(raw) - set(_TOP_KEYS))
    if unknown:
        raise HarnessError(f"{source}: unknown key {', '.join(unknown)} (valid: {', '.join(_TOP_KEYS)})")
    name = raw.get("name") or (path.stem if path else None)
    if not isinstance(name, str) or not name:
        raise HarnessError(f"{source}: name: expected a non-empty string")
    runs = raw.get("runs") or {}
    if not isinstance(runs, Mapping):
        raise HarnessError(f"{source}: runs: expected a mapping of filters ({', '.join(FILTER_KEYS)})")
    for key in runs:
        if key not in FILTER_KEYS:
            raise unknown_name(f"filter in {source} runs:", str(key), FILTER_KEYS)
    filters = {key: _names(value, f"{source}: runs.{key}") for key, value in runs.items()}
    rows = _names(raw.get("rows") or list(DEFAULT_ROWS), f"{source}: rows")
    for field in rows:
        if field not in ROW_FIELDS:
            raise unknown_name(f"row field in {source} rows:", field, ROW_FIELDS)
    raw_columns = raw.get("columns")
    if not isinstance(raw_columns, list) or not raw_columns:
        raise HarnessError(f"{source}: columns: expected a list of column specs, e.g. [{{task: sst2}}]")
    columns = tuple(parse_column(c, f"{source}: columns[{i}]") for i, c in enumerate(raw_columns))
    labels = [c.label for c in columns]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise HarnessError(f"{source}: two columns are labelled {', '.join(repeated)}; give one a `label:`")
    aggregate = raw.get("aggregate", "mean")
    if aggregate not in AGGREGATES:
        raise unknown_name(f"aggregate in {source}:", str(aggregate), AGGREGATES)
    view = View(name=name, title=str(raw.get("title") or name), description=str(raw.get("description") or ""),
                filters=filters, rows=rows, columns=columns, aggregate=aggregate, path=path)
    sort = _sort(raw.get("sort"), view, source)
    raw_plots = raw.get("plots") or []
    if not isinstance(raw_plots, list):
        raise HarnessError(f"{source}: plots: expected a list of plot specs, e.g. [{{kind: drops, task: sst2}}]")
    plots = tuple(_plot(p, view, f"{source}: plots[{i}]") for i, p in enumerate(raw_plots))
    return replace(view, sort=sort, plots=plots)


def _label_of(value: Any, view: View, where: str) -> str:
    if not isinstance(value, str):
        raise HarnessError(f"{where}: expected a column label, found {value!r}")
    view.column(value)  # raises, listing the labels
    return value


def _sort(raw: Any, view: View, source: str) -> Sort | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return Sort(_label_of(raw, view, f"{source}: sort"))
    if not isinstance(raw, Mapping) or set(raw) - {"column", "descending"} or "column" not in raw:
        raise HarnessError(f"{source}: sort: expected a column label or {{column: LABEL, descending: true}}")
    descending = raw.get("descending")
    if descending is not None and not isinstance(descending, bool):
        raise HarnessError(f"{source}: sort.descending: expected true or false, found {descending!r}")
    return Sort(_label_of(raw["column"], view, f"{source}: sort.column"), descending)


def _plot(raw: Any, view: View, where: str) -> PlotSpec:
    if not isinstance(raw, Mapping) or "kind" not in raw:
        raise HarnessError(f"{where}: expected {{kind: pareto, x: LABEL, y: LABEL}} or {{kind: drops, task: T}}")
    kind = raw["kind"]
    if kind not in PLOT_KINDS:
        raise unknown_name("plot kind", str(kind), PLOT_KINDS)
    unknown = sorted(set(raw) - {"kind"} - PLOT_KINDS[kind])
    if unknown:
        raise HarnessError(f"{where}: unknown key {', '.join(unknown)} for a {kind} plot "
                           f"(valid: {', '.join(sorted(PLOT_KINDS[kind]))})")
    if kind == "pareto":
        if "x" not in raw or "y" not in raw:
            raise HarnessError(f"{where}: a pareto plot needs x and y, both column labels")
        return PlotSpec(kind, x=_label_of(raw["x"], view, f"{where}.x"), y=_label_of(raw["y"], view, f"{where}.y"),
                        title=raw.get("title"))
    if not isinstance(raw.get("task"), str):
        raise HarnessError(f"{where}: a drops plot needs the task whose robustness it shows, e.g. task: sst2")
    return PlotSpec(kind, task=raw["task"], metric=raw.get("metric"), split=raw.get("split"), title=raw.get("title"))
