"""Find task files: builtin tasks, user folders and installed packages.

The search path, in order: the builtin tasks shipped in the package (harness/tasks/builtin/), the folders
in HARNESS_TASKS_PATH (os.pathsep-separated), the folders passed as `extra_dirs` (the
--tasks-dir flag), then folders exposed by installed packages through the entry point
group "harness.tasks". Every *.yaml / *.yml file below a folder is a task. A task found
later in the path replaces one of the same name found earlier, and `list_tasks` says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import harness
from harness.errors import HarnessError, unknown_name
from harness.registry import entry_point_folders
from harness.tasks.schema import TaskDef
from harness.tasks.validate import read_yaml, validate_task_file

TASKS_PATH_ENV = "HARNESS_TASKS_PATH"
ENTRY_POINT_GROUP = "harness.tasks"
BUILTIN_DIR = Path(harness.__file__).resolve().parent / "tasks" / "builtin"  # package data: in a wheel too


@dataclass(frozen=True)
class TaskSource:
    """A folder of task files and where it came from (builtin, a variable, a flag, a package)."""

    dir: Path
    origin: str


@dataclass(frozen=True)
class TaskInfo:
    """One line of `harness tasks`: what a task is and which file defines it."""

    name: str
    suite: str
    kind: str
    metrics: list[str]
    headline: str
    description: str
    aliases: list[str]
    path: Path
    origin: str
    overrides: Path | None  # the file of a task with the same name that this one replaces


@dataclass(frozen=True)
class _Found:
    name: str
    aliases: tuple[str, ...]
    path: Path
    origin: str
    overrides: Path | None


def task_search_path(extra_dirs: Iterable[str | Path] | None = None) -> list[TaskSource]:
    """Folders searched for task files, in order; later folders override earlier ones."""
    sources = [TaskSource(BUILTIN_DIR, "builtin")] if BUILTIN_DIR.is_dir() else []
    for entry in os.environ.get(TASKS_PATH_ENV, "").split(os.pathsep):
        if entry.strip():
            sources.append(TaskSource(_folder(entry.strip(), TASKS_PATH_ENV), TASKS_PATH_ENV))
    for entry in extra_dirs or ():
        sources.append(TaskSource(_folder(entry, "--tasks-dir"), "--tasks-dir"))
    for folder, origin in entry_point_folders(ENTRY_POINT_GROUP):
        sources.append(TaskSource(_folder(folder, origin), origin))
    return sources


def _folder(value: str | Path, origin: str) -> Path:
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise HarnessError(f"{origin} names {path}, which is not a folder of task files; give an existing folder "
                           "of task YAML files")
    return path


def _scan(extra_dirs: Iterable[str | Path] | None) -> dict[str, _Found]:
    """Task name -> the file that defines it, after overrides."""
    found: dict[str, _Found] = {}
    for source in task_search_path(extra_dirs):
        in_source: dict[str, Path] = {}
        files = sorted([*source.dir.rglob("*.yaml"), *source.dir.rglob("*.yml")])
        for path in files:
            raw = read_yaml(path)
            name = raw.get("name")
            if not isinstance(name, str) or not name:
                raise HarnessError(f"{path}: name: expected a non-empty string, found {name!r}")
            if name in in_source:
                raise HarnessError(f"task '{name}' is defined twice in {source.dir}: {in_source[name]} and {path}; "
                                   "rename one")
            in_source[name] = path
            aliases = raw.get("aliases") or []
            aliases = tuple(a for a in aliases if isinstance(a, str)) if isinstance(aliases, list) else ()
            previous = found.get(name)
            found[name] = _Found(name, aliases, path, source.origin, previous.path if previous else None)
    return found


def _resolve(name: str, found: dict[str, _Found]) -> _Found:
    if name in found:
        return found[name]
    by_alias = [entry for entry in found.values() if name in entry.aliases]
    if by_alias:
        return by_alias[-1]  # the latest source wins, as for names
    raise unknown_name("task", name, [*found, *(a for e in found.values() for a in e.aliases)])


def _looks_like_file(value: str) -> bool:
    return value.endswith((".yaml", ".yml")) or os.sep in value or "/" in value


def load_task(name_or_path: str | Path, extra_dirs: Iterable[str | Path] | None = None) -> TaskDef:
    """A task by name, alias, or path to a YAML file; unknown names list the closest ones."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or _looks_like_file(text):
        return validate_task_file(text)
    return validate_task_file(_resolve(text, _scan(extra_dirs)).path)


def list_tasks(extra_dirs: Iterable[str | Path] | None = None) -> list[TaskInfo]:
    """Every task on the search path (each file checked), sorted by suite and name."""
    infos = []
    for entry in _scan(extra_dirs).values():
        task = validate_task_file(entry.path)
        infos.append(TaskInfo(
            name=task.name, suite=task.suite, kind=task.kind, metrics=task.metrics, headline=task.headline,
            description=task.description, aliases=task.aliases, path=task.path, origin=entry.origin,
            overrides=entry.overrides,
        ))
    return sorted(infos, key=lambda info: (info.suite, info.name))
