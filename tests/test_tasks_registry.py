"""Finding tasks: names, aliases, files, user folders, --tasks-dir and package entry points."""

from __future__ import annotations

import sys
import types
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from harness.errors import HarnessError
from harness.tasks import TASKS_PATH_ENV, list_tasks, load_task, task_search_path
from harness.tasks.registry import BUILTIN_DIR

TASKS_DIR = BUILTIN_DIR


def user_task(folder: Path, name: str, description: str = "A user task.", **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    raw = {
        "name": name,
        "suite": "user",
        "description": description,
        "kind": "text_classification",
        "max_length": 32,
        "fields": {"text": "sentence", "label": "label"},
        "labels": ["0", "1"],
        "metrics": ["accuracy"],
        "headline": "accuracy",
        "data": {"format": "tsv", "files": {"train": "./train.tsv", "validation": "./dev.tsv"}},
        "splits": {"train": "train", "selection": {"holdout": 1}, "evaluation": ["validation"]},
        **extra,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def no_user_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TASKS_PATH_ENV, raising=False)


def test_builtin_folder_comes_first() -> None:
    sources = task_search_path()
    assert sources[0].dir == TASKS_DIR and sources[0].origin == "builtin"


def test_load_by_name_alias_and_path() -> None:
    assert load_task("sst2").name == "sst2"
    assert load_task("tnews").name == "fewclue-tnews"
    assert load_task("iflytek").name == "fewclue-iflytek"
    assert load_task("eprstmt").name == "fewclue-eprstmt"
    assert load_task("ocnli").suite == "clue"  # the full CLUE task, not FewCLUE's
    assert load_task(str(TASKS_DIR / "glue" / "rte.yaml")).name == "rte"
    assert load_task(TASKS_DIR / "glue" / "rte.yaml").name == "rte"


def test_unknown_task_suggests_close_names() -> None:
    with pytest.raises(HarnessError, match=r"unknown task 'sst'; did you mean sst2.*\(valid: .*tnews"):
        load_task("sst")
    with pytest.raises(HarnessError, match=r"task file .*nope.yaml not found"):
        load_task("nope.yaml")


def test_env_folder_adds_and_overrides_tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = user_task(tmp_path / "mine", "my-sentiment")
    override = user_task(tmp_path / "mine" / "nested", "sst2", description="My own SST-2.")
    monkeypatch.setenv(TASKS_PATH_ENV, str(tmp_path / "mine"))
    assert [s.origin for s in task_search_path()] == ["builtin", TASKS_PATH_ENV]
    assert load_task("my-sentiment").path == mine.resolve()
    assert load_task("sst2").description == "My own SST-2."
    infos = {info.name: info for info in list_tasks()}
    assert infos["sst2"].path == override.resolve() and infos["sst2"].origin == TASKS_PATH_ENV
    assert infos["sst2"].overrides == (TASKS_DIR / "glue" / "sst2.yaml").resolve()
    assert infos["my-sentiment"].overrides is None and infos["rte"].origin == "builtin"


def test_extra_dirs_come_after_env_and_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user_task(tmp_path / "env", "shared", description="from env")
    user_task(tmp_path / "flag", "shared", description="from flag", aliases=["common"])
    monkeypatch.setenv(TASKS_PATH_ENV, str(tmp_path / "env"))
    assert load_task("shared").description == "from env"
    assert load_task("shared", extra_dirs=[tmp_path / "flag"]).description == "from flag"
    assert load_task("common", extra_dirs=[tmp_path / "flag"]).name == "shared"
    info = {i.name: i for i in list_tasks(extra_dirs=[tmp_path / "flag"])}["shared"]
    assert info.origin == "--tasks-dir" and info.overrides == (tmp_path / "env" / "shared.yaml").resolve()


def test_entry_point_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user_task(tmp_path / "pkg_tasks", "packaged")
    module = types.ModuleType("fake_harness_task_pkg")
    module.tasks_dir = lambda: tmp_path / "pkg_tasks"  # a callable returning a path
    module.TASKS = str(tmp_path / "pkg_tasks")  # or the path itself
    monkeypatch.setitem(sys.modules, module.__name__, module)
    points = [
        metadata.EntryPoint(name="by-callable", value="fake_harness_task_pkg:tasks_dir", group="harness.tasks"),
        metadata.EntryPoint(name="by-path", value="fake_harness_task_pkg:TASKS", group="harness.tasks"),
    ]
    monkeypatch.setattr(metadata, "entry_points", lambda group: points if group == "harness.tasks" else [])
    sources = task_search_path()
    assert [s.dir for s in sources[1:]] == [(tmp_path / "pkg_tasks").resolve()] * 2
    assert sources[1].origin.startswith("entry point by-callable")
    assert load_task("packaged").suite == "user"


def test_broken_entry_point_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("fake_harness_bad_pkg")
    module.TASKS = 42
    monkeypatch.setitem(sys.modules, module.__name__, module)
    point = metadata.EntryPoint(name="bad", value="fake_harness_bad_pkg:TASKS", group="harness.tasks")
    monkeypatch.setattr(metadata, "entry_points", lambda group: [point])
    with pytest.raises(HarnessError, match=r"entry point bad .* must give a folder path .*got int"):
        task_search_path()


def test_missing_user_folders_are_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(HarnessError, match=r"--tasks-dir names .*nowhere, which is not a folder of task files"):
        task_search_path([tmp_path / "nowhere"])
    monkeypatch.setenv(TASKS_PATH_ENV, str(tmp_path / "gone"))
    with pytest.raises(HarnessError, match=rf"{TASKS_PATH_ENV} names .*gone, which is not a folder"):
        load_task("sst2")


def test_same_name_twice_in_one_folder_is_an_error(tmp_path: Path) -> None:
    user_task(tmp_path / "a", "twin")
    (tmp_path / "a" / "copy.yaml").write_text((tmp_path / "a" / "twin.yaml").read_text())
    with pytest.raises(HarnessError, match=r"task 'twin' is defined twice in .*copy.yaml"):
        load_task("twin", extra_dirs=[tmp_path / "a"])


def test_invalid_user_task_names_its_file(tmp_path: Path) -> None:
    user_task(tmp_path / "u", "odd", kind="ranking")
    with pytest.raises(HarnessError, match=r"odd.yaml: kind: expected one of"):
        load_task("odd", extra_dirs=[tmp_path / "u"])
    with pytest.raises(HarnessError, match=r"odd.yaml: kind"):
        list_tasks(extra_dirs=[tmp_path / "u"])
