"""Reading split files into Examples, on small files written by the tests, and the hub path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets
import pytest
import yaml

from harness.errors import HarnessError
from harness.tasks import DATA_DIR_ENV, TaskDef, load_split, validate_task_file


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (DATA_DIR_ENV, "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)


def make_task(folder: Path, **fields: Any) -> TaskDef:
    raw = {
        "name": "mini",
        "suite": "user",
        "description": "test task",
        "kind": "text_pair_classification",
        "max_length": 32,
        "fields": {"text": "s1", "text_pair": "s2", "label": "label"},
        "labels": ["no", "yes"],
        "metrics": ["accuracy"],
        "headline": "accuracy",
        "data": {"format": "tsv", "files": {"train": "mini/train.tsv", "validation": "mini/dev.tsv"}},
        "splits": {"train": "train", "selection": {"holdout": 1}, "evaluation": ["validation"]},
    }
    raw.update(fields)
    raw = {key: value for key, value in raw.items() if value is not None}  # None: leave the field out
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mini.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return validate_task_file(path)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


# -- local formats ------------------------------------------------------------------------

def test_tsv_with_header_keeps_quotes_and_strips_spaces(tmp_path: Path) -> None:
    task = make_task(tmp_path / "tasks")
    write(tmp_path / "data/mini/dev.tsv", 's1\ts2\tlabel\n"He said \tit \'s fine . \tyes\nA\tB\tno\n\n')
    examples = load_split(task, "validation", tmp_path / "data")
    assert [e.id for e in examples] == ["validation-0", "validation-1"]
    assert examples[0].text == '"He said' and examples[0].text_pair == "it 's fine ." and examples[0].label == 1
    assert examples[1].label == 0
    assert examples[0].fields == {"s1": '"He said ', "s2": "it 's fine . ", "label": "yes"}


def test_tsv_bom_and_headerless_columns(tmp_path: Path) -> None:
    bom = make_task(tmp_path / "bom", data={"format": "tsv", "encoding": "utf-8-sig", "files": {"train": "t.tsv"}},
                    splits={"train": "train", "selection": {"holdout": 1}, "evaluation": ["train"]})
    write(tmp_path / "d/t.tsv", "label\ts1\ts2\nyes\ta\tb\n", encoding="utf-8-sig")
    assert load_split(bom, "train", tmp_path / "d")[0].fields["label"] == "yes"
    headerless = make_task(tmp_path / "cola", data={
        "format": "tsv", "header": False, "columns": ["src", "label", "s1", "s2"],
        "files": {"train": "t2.tsv", "validation": "t2.tsv"},
    })
    write(tmp_path / "d/t2.tsv", "gj04\tno\tx\ty\n")
    example = load_split(headerless, "train", tmp_path / "d")[0]
    assert (example.text, example.text_pair, example.label) == ("x", "y", 0)


def test_tsv_wrong_column_count_names_the_line(tmp_path: Path) -> None:
    task = make_task(tmp_path / "tasks")
    path = write(tmp_path / "data/mini/train.tsv", "s1\ts2\tlabel\na\tb\tyes\na\tb\n")
    expected = rf"{path}: line 3: expected 3 tab-separated columns \(s1, s2, label\), found 2"
    with pytest.raises(HarnessError, match=expected):
        load_split(task, "train", tmp_path / "data")


def test_jsonl_labels_as_numbers_and_dropped_rows(tmp_path: Path) -> None:
    task = make_task(tmp_path / "tasks", labels=["100", "101"], drop_labels=["-"],
                     data={"format": "jsonl", "files": {"train": "./train.json", "validation": "./dev.json"}})
    rows = [{"s1": "a", "s2": "b", "label": 100}, {"s1": "c", "s2": "d", "label": "-"},
            {"s1": "e\u2028f", "s2": "g", "label": "101"}]
    write(tmp_path / "tasks/dev.json", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    examples = load_split(task, "validation")  # ./ paths need no data folder
    assert [(e.id, e.label) for e in examples] == [("validation-0", 0), ("validation-2", 1)]
    assert examples[1].text == "e\u2028f"


def test_regression_scores(tmp_path: Path) -> None:
    task = make_task(tmp_path / "tasks", kind="regression", labels=None, score_range=[0, 5],
                     fields={"text": "s1", "text_pair": "s2", "score": "score"},
                     metrics=["pearson"], headline="pearson")
    write(tmp_path / "data/mini/dev.tsv", "s1\ts2\tscore\na\tb\t4.750\n")
    assert load_split(task, "validation", tmp_path / "data")[0].label == 4.75
    path = write(tmp_path / "data/mini/train.tsv", "s1\ts2\tscore\na\tb\t5.5\n")
    expected = rf"{path}: line 2: score 5.5 is outside the task's score_range \[0.0, 5.0\]"
    with pytest.raises(HarnessError, match=expected):
        load_split(task, "train", tmp_path / "data")


CONLL = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC

Peter NNP B-NP B-PER
Blackburn NNP B-NP I-PER
"""


def conll_task(folder: Path) -> TaskDef:
    return make_task(folder, kind="token_classification", fields={"words": "token", "tags": "ner"},
                     labels=["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-MISC", "I-MISC"],
                     metrics=["entity_f1"], headline="entity_f1",
                     data={"format": "conll", "columns": ["token", "pos", "chunk", "ner"],
                           "files": {"train": "train.txt", "validation": "valid.txt"}})


def test_conll_sentences(tmp_path: Path) -> None:
    task = conll_task(tmp_path / "tasks")
    write(tmp_path / "data/valid.txt", CONLL)
    first, second = load_split(task, "validation", tmp_path / "data")
    assert first.words == ("EU", "rejects", "German") and first.tags == (3, 0, 5)
    assert second.id == "validation-1" and second.tags == (1, 2)
    assert first.fields["pos"] == ["NNP", "VBZ", "JJ"]


def test_conll_unknown_tag_names_file_line_and_value(tmp_path: Path) -> None:
    task = conll_task(tmp_path / "tasks")
    path = write(tmp_path / "data/train.txt", CONLL.replace("I-PER", "I-LOC"))
    expected = rf"{path}: line 8: tag \(word 2\) 'I-LOC' is not in the label set of task mini"
    with pytest.raises(HarnessError, match=expected):
        load_split(task, "train", tmp_path / "data")


def cluener_task(folder: Path) -> TaskDef:
    return make_task(folder, kind="token_classification", fields={"text": "text", "spans": "label"},
                     labels=["O", "B-name", "I-name", "B-book", "I-book", "B-company", "I-company"],
                     word_separator="", metrics=["entity_f1"], headline="entity_f1",
                     data={"format": "jsonl", "files": {"train": "train.json", "validation": "dev.json"}})


def test_cluener_spans_become_character_tags(tmp_path: Path) -> None:
    task = cluener_task(tmp_path / "tasks")
    rows = [
        {"text": "张三读书", "label": {"name": {"张三": [[0, 1]]}}},
        {"text": "《华为传》好", "label": {"book": {"《华为传》": [[0, 4]]}, "company": {"华为": [[1, 2]]}}},
        {"text": "无实体", "label": {}},
    ]
    write(tmp_path / "data/dev.json", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    plain, nested, empty = load_split(task, "validation", tmp_path / "data")
    assert plain.words == ("张", "三", "读", "书") and plain.tags == (1, 2, 0, 0)
    assert nested.tags == (3, 4, 4, 4, 4, 0)  # the outer book span wins over the company inside it
    assert empty.tags == (0, 0, 0) and task.word_separator.join(empty.words) == "无实体"


def test_cluener_span_that_misses_its_entity(tmp_path: Path) -> None:
    task = cluener_task(tmp_path / "tasks")
    path = write(tmp_path / "data/train.json", json.dumps({"text": "张三读书", "label": {"name": {"张三": [[1, 2]]}}}))
    with pytest.raises(HarnessError, match=rf"{path}: line 1: span \[1, 2\] reads '三读', not the entity '张三'"):
        load_split(task, "train", tmp_path / "data")


# -- errors -------------------------------------------------------------------------------

def test_label_not_in_label_set_names_file_row_and_value(tmp_path: Path) -> None:
    task = make_task(tmp_path / "tasks")
    path = write(tmp_path / "data/mini/train.tsv", "s1\ts2\tlabel\na\tb\tyes\na\tb\tmaybe\n")
    expected = rf"^{path}: line 3: label 'maybe' is not in the label set of task mini \(no, yes\)"
    with pytest.raises(HarnessError, match=expected):
        load_split(task, "train", tmp_path / "data")


def test_data_not_found_says_where_it_looked_and_how_to_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    task = make_task(tmp_path / "tasks")
    (tmp_path / "data").mkdir()
    expected = (f"data for task mini split train not found: looked for {tmp_path / 'data' / 'mini' / 'train.tsv'}; "
                f"pass --data-dir DIR or set HARNESS_DATA_DIR (layout in harness/tasks/builtin/README.md)")
    with pytest.raises(HarnessError) as caught:
        load_split(task, "train", tmp_path / "data")
    assert str(caught.value) == expected
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))  # the variable works like the argument
    with pytest.raises(HarnessError, match="looked for .*mini/train.tsv"):
        load_split(task, "train")
    monkeypatch.delenv(DATA_DIR_ENV)
    with pytest.raises(HarnessError, match="not found: no data folder given for mini/train.tsv; pass --data-dir"):
        load_split(task, "train")
    with pytest.raises(HarnessError, match=r"the data folder .*elsewhere is not a folder"):
        load_split(task, "train", tmp_path / "elsewhere")


def test_empty_split_and_unknown_split(tmp_path: Path) -> None:
    task = make_task(tmp_path / "tasks")
    path = write(tmp_path / "data/mini/dev.tsv", "s1\ts2\tlabel\n")
    with pytest.raises(HarnessError, match=rf"split validation of task mini is empty: {path} holds no labelled"):
        load_split(task, "validation", tmp_path / "data")
    with pytest.raises(HarnessError, match=r"unknown split of task mini 'test'.*\(valid: train, validation\)"):
        load_split(task, "test", tmp_path / "data")


def test_missing_field_and_bad_json(tmp_path: Path) -> None:
    task = make_task(tmp_path / "tasks", data={"format": "jsonl", "files": {"train": "t.json", "validation": "v.json"}})
    path = write(tmp_path / "d/t.json", json.dumps({"s1": "a", "label": "yes"}) + "\n")
    with pytest.raises(HarnessError,
                       match=rf"{path}: line 1: no field 's2' \(fields present: s1, label; did you mean s1\?\)"):
        load_split(task, "train", tmp_path / "d")
    path = write(tmp_path / "d/v.json", '{"s1": "a"\n')
    with pytest.raises(HarnessError, match=rf"{path}: line 1: not valid JSON"):
        load_split(task, "validation", tmp_path / "d")


# -- the hub ------------------------------------------------------------------------------

def hub_task(folder: Path, **hub: Any) -> TaskDef:
    return make_task(folder, hub={"path": "org/mini", "name": "cfg", **hub})


def fake_hub(monkeypatch: pytest.MonkeyPatch, dataset: datasets.Dataset) -> list[tuple]:
    calls: list[tuple] = []

    def load_dataset(path, name=None, split=None, revision=None, **kwargs):
        calls.append((path, name, split, revision))
        return dataset

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_hub_rows_are_renamed_and_class_ids_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    task = hub_task(tmp_path / "tasks", fields={"s1": "sentence1", "s2": "sentence2"}, labels=["yes", "no"],
                    splits={"validation": "dev"})
    features = datasets.Features({"sentence1": datasets.Value("string"), "sentence2": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=["positive", "negative"])})
    data = datasets.Dataset.from_dict({"sentence1": ["a", "c"], "sentence2": ["b", "d"], "label": [0, 1]}, features)
    calls = fake_hub(monkeypatch, data)
    examples = load_split(task, "validation")
    assert calls == [("org/mini", "cfg", "dev", None)]
    assert [(e.id, e.text, e.text_pair, e.label) for e in examples] == [
        ("validation-0", "a", "b", 1), ("validation-1", "c", "d", 0)]  # hub id 0 -> "yes" -> class 1


def test_hub_class_names_and_token_tags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    task = make_task(tmp_path / "tasks", kind="token_classification", fields={"words": "token", "tags": "ner"},
                     labels=["O", "B-PER", "I-PER"], metrics=["entity_f1"], headline="entity_f1", data=None,
                     hub={"path": "org/ner", "fields": {"token": "tokens", "ner": "ner_tags"}},
                     splits={"train": "train", "selection": "validation", "evaluation": ["test"]})
    features = datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")),
                                  "ner_tags": datasets.Sequence(datasets.ClassLabel(names=["O", "B-PER", "I-PER"]))})
    data = datasets.Dataset.from_dict({"tokens": [["Peter", "Blackburn", "said"]], "ner_tags": [[1, 2, 0]]}, features)
    fake_hub(monkeypatch, data)
    (example,) = load_split(task, "test", tmp_path)  # no local file: the hub
    assert example.words == ("Peter", "Blackburn", "said") and example.tags == (1, 2, 0)


def test_hub_unlabelled_rows_fail_the_label_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    task = hub_task(tmp_path / "tasks", fields={"s1": "a", "s2": "b"})
    features = datasets.Features({"a": datasets.Value("string"), "b": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=["no", "yes"])})
    fake_hub(monkeypatch, datasets.Dataset.from_dict({"a": ["x"], "b": ["y"], "label": [-1]}, features))
    expected = r"hub org/mini \(cfg\) split train: row 0: label '-1' is not in the label set"
    with pytest.raises(HarnessError, match=expected):
        load_split(task, "train")


def test_hub_failure_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    task = hub_task(tmp_path / "tasks")

    def unreachable(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'org/mini' on the Hub\n(LocalEntryNotFoundError)")

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    with pytest.raises(HarnessError) as caught:
        load_split(task, "train")
    message = str(caught.value)
    assert message.startswith("data for task mini split train not found: no data folder given for mini/train.tsv; "
                              "hub org/mini (cfg) split train failed (ConnectionError: Couldn't reach")
    assert message.endswith("pass --data-dir DIR or set HARNESS_DATA_DIR (layout in harness/tasks/builtin/README.md)")
    assert "\n" not in message


def test_data_folder_given_means_no_silent_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    task = hub_task(tmp_path / "tasks")
    calls = fake_hub(monkeypatch, datasets.Dataset.from_dict({"s1": ["a"], "s2": ["b"], "label": ["yes"]}))
    (tmp_path / "data").mkdir()
    with pytest.raises(HarnessError, match=r"looked for .*; pass --data-dir .*, or give no data folder to load it "
                                           r"from the hub \(org/mini \(cfg\)\)"):
        load_split(task, "train", tmp_path / "data")
    assert calls == []
    assert load_split(task, "train")[0].label == 1  # without a data folder the hub is used
