"""Task YAML files: every builtin one validates, hashes are stable, every error is clear."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import HarnessError
from harness.tasks import Holdout, kinds, list_tasks, load_task, validate_task_file
from harness.tasks.registry import BUILTIN_DIR

TASKS_DIR = BUILTIN_DIR
BUILTIN_FILES = sorted(TASKS_DIR.rglob("*.yaml"))

EXPECTED = {  # name: (suite, kind, metrics, headline)
    "cola": ("glue", kinds.TEXT_CLASSIFICATION, ["matthews_correlation"], "matthews_correlation"),
    "sst2": ("glue", kinds.TEXT_CLASSIFICATION, ["accuracy"], "accuracy"),
    "mrpc": ("glue", kinds.TEXT_PAIR_CLASSIFICATION, ["f1", "accuracy"], "f1"),
    "stsb": ("glue", kinds.REGRESSION, ["pearson", "spearman"], "pearson"),
    "rte": ("glue", kinds.TEXT_PAIR_CLASSIFICATION, ["accuracy"], "accuracy"),
    "qnli": ("glue", kinds.TEXT_PAIR_CLASSIFICATION, ["accuracy"], "accuracy"),
    "mnli": ("glue", kinds.TEXT_PAIR_CLASSIFICATION, ["accuracy"], "accuracy"),
    "qqp": ("glue", kinds.TEXT_PAIR_CLASSIFICATION, ["f1", "accuracy"], "f1"),
    "wnli": ("glue", kinds.TEXT_PAIR_CLASSIFICATION, ["accuracy"], "accuracy"),
    "conll2003": ("conll", kinds.TOKEN_CLASSIFICATION, ["entity_f1", "entity_precision", "entity_recall"],
                  "entity_f1"),
    "afqmc": ("clue", kinds.TEXT_PAIR_CLASSIFICATION, ["accuracy"], "accuracy"),
    "ocnli": ("clue", kinds.TEXT_PAIR_CLASSIFICATION, ["accuracy"], "accuracy"),
    "cluener": ("clue", kinds.TOKEN_CLASSIFICATION, ["entity_f1", "entity_precision", "entity_recall"],
                "entity_f1"),
    "fewclue-tnews": ("fewclue", kinds.TEXT_CLASSIFICATION, ["accuracy"], "accuracy"),
    "fewclue-iflytek": ("fewclue", kinds.TEXT_CLASSIFICATION, ["accuracy"], "accuracy"),
    "fewclue-eprstmt": ("fewclue", kinds.TEXT_CLASSIFICATION, ["accuracy"], "accuracy"),
    "fewclue-ocnli": ("fewclue", kinds.TEXT_PAIR_CLASSIFICATION, ["accuracy"], "accuracy"),
}


def valid_task() -> dict[str, Any]:
    return {
        "name": "mini",
        "suite": "user",
        "description": "A tiny sentiment task.",
        "kind": "text_classification",
        "max_length": 64,
        "fields": {"text": "sentence", "label": "label"},
        "labels": ["neg", "pos"],
        "metrics": ["accuracy", "f1"],
        "headline": "accuracy",
        "data": {"format": "tsv", "files": {"train": "./train.tsv", "validation": "./dev.tsv"}},
        "splits": {"train": "train", "selection": {"holdout": 2}, "evaluation": ["validation"]},
    }


def write(path: Path, raw: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda p: p.stem)
def test_every_builtin_task_file_validates(path: Path) -> None:
    task = validate_task_file(path)
    assert task.path == path.resolve()
    assert task.suite == path.parent.name
    assert task.train_split in task.splits and all(s in task.splits for s in task.eval_splits)
    assert task.selection != task.headline_split


def test_builtin_tasks_are_the_documented_set_with_official_metrics() -> None:
    infos = {info.name: info for info in list_tasks()}
    assert set(infos) == set(EXPECTED)
    for name, (suite, kind, metrics, headline) in EXPECTED.items():
        info = infos[name]
        assert (info.suite, info.kind, info.metrics, info.headline) == (suite, kind, metrics, headline), name
        assert info.origin == "builtin" and info.overrides is None


def test_glue_and_clue_select_on_a_holdout_and_report_dev() -> None:
    for name in ["cola", "sst2", "mrpc", "stsb", "rte", "qnli", "qqp", "wnli", "afqmc", "ocnli", "cluener"]:
        task = load_task(name)
        assert isinstance(task.selection, Holdout), name
        assert task.eval_splits == ["validation"], name
    mnli = load_task("mnli")
    assert mnli.eval_splits == ["validation_matched", "validation_mismatched"]
    assert mnli.headline_split == "validation_matched"


def test_conll_and_fewclue_splits() -> None:
    conll = load_task("conll2003")
    assert (conll.selection, conll.eval_splits, conll.headline_split) == ("validation", ["validation", "test"], "test")
    assert conll.labels[0] == "O" and conll.entity_types == ["PER", "ORG", "LOC", "MISC"]
    assert conll.word_separator == " " and load_task("cluener").word_separator == ""
    assert len(load_task("cluener").entity_types) == 10
    for name in ["fewclue-tnews", "fewclue-iflytek", "fewclue-eprstmt", "fewclue-ocnli"]:
        task = load_task(name)
        assert (task.train_split, task.selection, task.eval_splits) == ("train_few_all", "dev_few_all", ["test_public"])
        assert [(f.train, f.selection) for f in task.folds] == [(f"train_{k}", f"dev_{k}") for k in range(5)]


def test_ocnli_drops_rows_without_a_majority_label() -> None:
    assert "-" in load_task("ocnli").drop_labels


def test_hash_ignores_comments_and_layout_but_not_values(tmp_path: Path) -> None:
    plain = write(tmp_path / "a.yaml", valid_task())
    commented = tmp_path / "b.yaml"
    commented.write_text("# my task\n" + yaml.safe_dump(valid_task(), default_flow_style=True) + "\n# end\n")
    changed = valid_task()
    changed["max_length"] = 65
    first, second = validate_task_file(plain), validate_task_file(commented)
    third = validate_task_file(write(tmp_path / "c.yaml", changed))
    assert len(first.hash) == 64
    assert first.hash == second.hash
    assert third.hash != first.hash
    assert first == second and first != third


def test_taskdef_fields_from_yaml(tmp_path: Path) -> None:
    task = validate_task_file(write(tmp_path / "mini.yaml", valid_task()))
    assert (task.name, task.num_labels, task.labels, task.label_names) == ("mini", 2, ["neg", "pos"], ["neg", "pos"])
    assert task.selection == Holdout(max_examples=2)
    assert task.splits == ["train", "validation"] and task.headline_split == "validation"
    assert task.raw["name"] == "mini" and task.hub is None and task.max_length == 64


def _set(path: str, value: Any):
    def change(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = raw
        for key in parents:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
    return change


_DELETE = object()

ERROR_CASES = [
    ("missing name", _set("name", _DELETE), "name: expected a non-empty string, found nothing"),
    ("wrong type", _set("max_length", "long"), "max_length: expected a positive integer, found str 'long'"),
    ("unknown kind", _set("kind", "classification"), "kind: expected one of text_classification"),
    ("unknown metric", _set("metrics", ["accuracy", "acc"]), "metrics: expected metric names from"),
    ("metric for another kind", _set("metrics", ["accuracy", "pearson"]), "metrics for a text_classification task"),
    ("headline not in metrics", _set("headline", "f1_macro"), "headline: expected one of the task's metrics"),
    ("labels empty", _set("labels", []), "labels: expected a non-empty list of strings, found list []"),
    ("labels duplicated", _set("labels", ["pos", "pos"]),
     "labels: expected values without duplicates, found 'pos' twice"),
    ("labels unquoted", _set("labels", [0, 1]), "labels[0]: expected a non-empty string (quote values such as '0')"),
    ("unknown field", _set("metric", ["accuracy"]), "unknown field 'metric'"),
    ("missing text field", _set("fields", {"label": "label"}), "fields.text: expected the row field"),
    ("field for another kind", _set("fields.score", "s"), "fields.score: expected only text, label"),
    ("no data", _set("data", _DELETE), "data: expected local files (data) or a hub dataset"),
    ("unknown format", _set("data.format", "csv"), "data.format: expected one of tsv, jsonl, conll"),
    ("bad encoding", _set("data.encoding", "utf-9"), "data.encoding: expected a Python codec name"),
    ("headerless without columns", _set("data.header", False), "data.columns: expected the column names"),
    ("unknown split", _set("splits.evaluation", ["test"]), "splits.evaluation[0]: expected a split listed"),
    ("select on the reported split", _set("splits.selection", "validation"),
     "splits.selection: expected a split other than the train and headline splits"),
    ("bad holdout", _set("splits.selection", {"holdout": 0}), "splits.selection.holdout: expected a positive integer"),
    ("f1 with three labels", _set("labels", ["a", "b", "c"]), "metrics: expected f1 only with two labels"),
    ("label names count", _set("label_names", ["negative"]), "label_names: expected 2 names, one per label"),
    ("drop a real label", _set("drop_labels", ["pos"]), "drop_labels: expected values that are not in labels"),
]


@pytest.mark.parametrize("change,message", [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_invalid_task_files_name_file_field_and_problem(tmp_path: Path, change, message: str) -> None:
    raw = valid_task()
    change(raw)
    path = write(tmp_path / "bad.yaml", raw)
    with pytest.raises(HarnessError) as caught:
        validate_task_file(path)
    text = str(caught.value)
    assert text.startswith(f"{path.resolve()}: "), text
    assert message in text, text
    assert "\n" not in text


def test_token_and_regression_specific_errors(tmp_path: Path) -> None:
    token = valid_task() | {
        "kind": "token_classification",
        "fields": {"words": "token", "tags": "ner"},
        "labels": ["O", "B-PER"],
        "metrics": ["entity_f1"],
        "headline": "entity_f1",
        "data": {"format": "conll", "columns": ["token", "ner"], "files": {"train": "./t", "validation": "./v"}},
    }
    expected = r"labels: expected both B- and I- tags for every type, found 'B-PER' without"
    with pytest.raises(HarnessError, match=expected):
        validate_task_file(write(tmp_path / "t.yaml", token))
    token["labels"] = ["O", "B-PER", "I-PER", "PER"]
    with pytest.raises(HarnessError, match=r"labels: expected IOB2 tags"):
        validate_task_file(write(tmp_path / "t.yaml", token))
    regression = valid_task() | {
        "kind": "regression", "fields": {"text": "a", "score": "s"}, "metrics": ["pearson"], "headline": "pearson",
    }
    with pytest.raises(HarnessError, match="labels: expected no label set for a regression task"):
        validate_task_file(write(tmp_path / "r.yaml", regression))
    del regression["labels"]
    with pytest.raises(HarnessError, match=r"score_range: expected \[low, high\]"):
        validate_task_file(write(tmp_path / "r.yaml", regression))
    regression["score_range"] = [0, 5]
    assert validate_task_file(write(tmp_path / "r.yaml", regression)).score_range == (0.0, 5.0)


def test_unreadable_task_files(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match=r"task file .*missing.yaml not found"):
        validate_task_file(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(HarnessError, match=r"broken.yaml: not valid YAML: line 2"):
        validate_task_file(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    with pytest.raises(HarnessError, match=r"list.yaml: expected a mapping of task fields, found list"):
        validate_task_file(listed)


def test_raw_is_independent_of_the_file(tmp_path: Path) -> None:
    raw = valid_task()
    task = validate_task_file(write(tmp_path / "mini.yaml", copy.deepcopy(raw)))
    assert task.raw == raw
