"""Load one split of a task: local files when a data folder is known, else the hub.

Where the data comes from:
- a data folder (the `data_dir` argument, else the HARNESS_DATA_DIR variable): the
  task's file for the split, and nothing else: a missing file is an error at once, so
  a typo in a path never turns into a silent download;
- no data folder (or no local file for the split), and the task has `hub`:
  `datasets.load_dataset`, which also reads its cache offline (HF_HUB_OFFLINE=1 makes
  it fail at once instead of retrying the network for half a minute);
- paths starting with ./ or ../ are relative to the task file, absolute paths are
  used as they are: both need no data folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import HarnessError, unknown_name
from harness.tasks import convert, formats, hub
from harness.tasks.example import Example

if TYPE_CHECKING:
    from harness.tasks.schema import TaskDef

DATA_DIR_ENV = "HARNESS_DATA_DIR"
HOW_TO_POINT = f"pass --data-dir DIR or set {DATA_DIR_ENV} (layout in harness/tasks/builtin/README.md)"


def data_root(data_dir: str | Path | None) -> Path | None:
    """The data folder to read: the argument, else HARNESS_DATA_DIR, else None."""
    chosen, origin = (data_dir, "the data folder") if data_dir else (os.environ.get(DATA_DIR_ENV), DATA_DIR_ENV)
    if not chosen:
        return None
    root = Path(chosen).expanduser()
    if not root.is_dir():
        raise HarnessError(f"{origin} {root} is not a folder; {HOW_TO_POINT}")
    return root


def local_path(task: TaskDef, split: str, root: Path | None) -> Path | None:
    """Where the split's file is expected; None when that needs a data folder and there is none."""
    if task.data is None or split not in task.data.files:
        return None
    written = task.data.files[split]
    if written.startswith(("./", "../", ".\\", "..\\")):
        return Path(os.path.normpath(task.path.parent / written))  # not resolve(): a symlink loop raises there
    path = Path(written).expanduser()
    if path.is_absolute():
        return path
    return root / written if root is not None else None


def path_rule(task: TaskDef, split: str) -> str:
    """How the split's file name is resolved, in words, for messages and `harness tasks validate`."""
    written = task.data.files.get(split, "") if task.data is not None else ""
    if not written:
        return "no local file: loaded from the hub"
    if written.startswith(("./", "../", ".\\", "..\\")):
        return f"data.files.{split} {written}, relative to the task file {task.path}"
    if Path(written).expanduser().is_absolute():
        return f"data.files.{split} {written}, an absolute path"
    return f"data.files.{split} {written}, under the data folder (--data-dir or {DATA_DIR_ENV})"


def split_path(task: TaskDef, split: str, data_dir: str | Path | None) -> Path | None:
    """The split's local file, or None when there is none to read (then only the hub can give it)."""
    written = task.data.files.get(split, "") if task.data is not None else ""
    # Files next to the task (./) or absolute need no data folder: do not insist on one.
    needs_root = written and not written.startswith((".", "/", "~"))
    return local_path(task, split, data_root(data_dir) if needs_root else None)


def load_split(task: TaskDef, split: str, data_dir: str | Path | None = None) -> list[Example]:
    """Examples of one split, ids '<split>-<row index>'; HarnessError when there is no data."""
    if split not in task.splits:
        raise unknown_name(f"split of task {task.name}", split, task.splits)
    path = split_path(task, split, data_dir)
    if path is not None and path.is_file():
        _columns, rows = formats.read_rows(task.data, path)
        source, unit = str(path), "line"
    else:
        rows, source = _hub_or_fail(task, split, path)
        unit = "row"
    examples = convert.to_examples(task, split, rows, source, unit)
    if not examples:
        raise HarnessError(f"split {split} of task {task.name} is empty: {source} holds no labelled examples; "
                           f"add rows to it or point the task's data.files.{split} at a file that has them")
    return examples


def missing_local_files(task: TaskDef, splits: list[str], data_dir: str | Path | None = None) -> list[str]:
    """The local files these splits need that are not there, checked without reading them.

    A split with no local path (no data folder, and the task can load it from the hub) is not
    checked here: only loading it can tell.
    """
    missing = []
    for split in splits:
        path = split_path(task, split, data_dir)
        if path is not None and not path.is_file():
            missing.append(f"task {task.name} split {split}: {path} is missing")
        elif path is None and task.hub is None:
            missing.append(f"task {task.name} split {split}: no data folder given; {HOW_TO_POINT}")
    return missing


def _hub_or_fail(task: TaskDef, split: str, path: Path | None) -> tuple[list[formats.Row], str]:
    written = task.data.files.get(split, "") if task.data is not None else ""
    if path is not None and written.startswith((".", "/", "~")):  # no data folder involved: the task file is wrong
        raise HarnessError(f"data for task {task.name} split {split} not found: looked for {path} "
                           f"({path_rule(task, split)}); fix data.files.{split} in the task file")
    if path is not None:
        looked = f"looked for {path}"
    elif task.data is not None and split in task.data.files:
        looked = f"no data folder given for {task.data.files[split]}"
    else:
        looked = "the task lists no local file for it"
    problem = f"data for task {task.name} split {split} not found: {looked}"
    if task.hub is None:
        raise HarnessError(f"{problem}; {HOW_TO_POINT}")
    if path is not None:  # a data folder (or a file path) was given: never fall back silently
        raise HarnessError(f"{problem}; {HOW_TO_POINT}, or give no data folder to load it from the hub "
                           f"({task.hub.describe()})")
    source = f"hub {task.hub.describe()} split {task.hub.hub_split(split)}"
    try:
        return hub.load_hub_rows(task, split), source
    except Exception as err:  # datasets raises many types (network, missing config, bad split)
        reason = " ".join(f"{type(err).__name__}: {err}".split())[:300]
        raise HarnessError(f"{problem}; {source} failed ({reason}); {HOW_TO_POINT}") from None
