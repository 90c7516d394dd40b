"""A custom task is checked before it runs: `harness tasks validate FILE` reads every split as a run would, and the
data's own mistakes (a misspelt file or field, a list used as text, ids given twice) are one line naming them."""

from __future__ import annotations

import json

import pytest

from harness.cli.main import main
from harness.errors import HarnessError
from harness.tasks import load_split, validate_task_file
from harness.tasks.registry import BUILTIN_DIR


def _validate(capsys, path, *extra):
    code = main(["tasks", "validate", str(path), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _edited(env, old, new, name="edited.yaml"):
    path = env / "my_tasks" / name
    path.write_text((env / "my_tasks" / "sentiment.yaml").read_text().replace(old, new, 1))
    return path


def test_validate_reads_every_split_and_says_how_its_path_was_resolved(env, capsys):
    code, out, _ = _validate(capsys, env / "my_tasks" / "sentiment.yaml")
    assert code == 0
    assert "  train: 24 examples from" in out and "relative to the task file" in out
    assert "  dev: 12 examples from" in out and "sentiment.yaml: ok: task tiny-sentiment" in out


def test_a_misspelt_field_or_file_fails_validation_not_the_run(env, capsys):
    code, _, err = _validate(capsys, _edited(env, "text: sentence", "text: sentense"))
    assert code == 2 and "no field 'sentense'" in err and "did you mean sentence?" in err
    code, _, err = _validate(capsys, _edited(env, "./sentiment/dev.tsv", "./sentiment/dve.tsv"))
    assert code == 2 and "dve.tsv" in err and "relative to the task file" in err
    assert "fix data.files.dev in the task file" in err and "--data-dir" not in err
    assert err.count("\n") == 1


def test_a_split_under_a_data_folder_is_read_only_when_one_is_given(env, capsys, data_dir):
    sst2 = validate_task_file(BUILTIN_DIR / "glue" / "sst2.yaml").path
    code, out, _ = _validate(capsys, sst2)
    assert code == 0 and "train: not read" in out and "give --data-dir" in out
    code, out, _ = _validate(capsys, sst2, "--data-dir", str(data_dir))
    assert code == 0 and "validation: 872 examples" in out


JSONL_DATA = ("format: tsv\n  files: {train: ./sentiment/train.tsv, dev: ./sentiment/dev.tsv}",
              "format: jsonl\n  files: {train: ./sentiment/rows.jsonl, dev: ./sentiment/rows.jsonl}")


def _jsonl_task(env, rows, fields="fields: {text: sentence, label: label}"):
    (env / "my_tasks" / "sentiment" / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = _edited(env, *JSONL_DATA)
    path.write_text(path.read_text().replace("fields: {text: sentence, label: label}", fields))
    return validate_task_file(path)


def test_the_datas_own_ids_are_used_and_must_be_unique(env):
    rows = [{"uid": f"r{i}", "sentence": f"a good film {i}", "label": "1" if i % 2 else "0"} for i in range(6)]
    with_ids = "fields: {text: sentence, label: label, id: uid}"
    assert [e.id for e in load_split(_jsonl_task(env, rows, with_ids), "dev")] == [f"dev-r{i}" for i in range(6)]
    assert [e.id for e in load_split(_jsonl_task(env, rows), "dev")] == [f"dev-{i}" for i in range(6)]
    rows[3]["uid"] = "r1"
    with pytest.raises(HarnessError, match="line 4: id r1 was already used on line 2; ids in fields.id must be"):
        load_split(_jsonl_task(env, rows, with_ids), "dev")


def test_a_list_used_as_text_is_refused_not_turned_into_its_repr(env):
    task = _jsonl_task(env, [{"sentence": ["a", "good", "film"], "label": "1"}])
    with pytest.raises(HarnessError, match="field 'sentence' holds a list, not text"):
        load_split(task, "dev")


def test_robustness_takes_tasks_dir_like_every_command_that_names_a_task():
    from harness.cli.main import _register, cli

    _register()
    for name, command in cli.commands.items():
        params = {param.name for param in command.params}
        if {"task", "tasks"} & params and name != "regress":  # regress filters recorded runs by name only
            assert "tasks_dirs" in params, f"harness {name} takes a task but no --tasks-dir"
