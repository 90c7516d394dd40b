"""The builtin tasks on the real shared data: counts from its README, fields, tags, speed.

Skipped when the data is not there (HARNESS_DATA_DIR, else ../shared/data next to the repo).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.tasks import load_split, load_task, prepare_data

DATA_DIR = Path(os.environ.get("HARNESS_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (DATA_DIR / "glue").is_dir(), reason=f"shared data not found at {DATA_DIR}"),
]


def sizes(name: str, *splits: str) -> list[int]:
    task = load_task(name)
    return [len(load_split(task, split, DATA_DIR)) for split in splits]


def valid_iob2(tags: list[str]) -> bool:
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


def test_sst2_counts_and_text() -> None:
    task = load_task("sst2")
    train = load_split(task, "train", DATA_DIR)
    dev = load_split(task, "validation", DATA_DIR)
    assert (len(train), len(dev)) == (67349, 872)
    assert dev[0].text == "it 's a charming and often affecting journey ." and dev[0].label == 1
    assert {e.label for e in train} == {0, 1} and dev[0].id == "validation-0"


def test_mrpc_reads_past_the_bom_and_quotes() -> None:
    task = load_task("mrpc")
    train, dev = load_split(task, "train", DATA_DIR), load_split(task, "validation", DATA_DIR)
    assert (len(train), len(dev)) == (3668, 408)
    first = train[0]
    assert first.label == 1 and first.fields["Quality"] == "1" and "#1 ID" in first.fields
    assert first.text.startswith('Amrozi accused his brother, whom he called "the witness"')
    assert first.text_pair.startswith('Referring to him as only "the witness"')
    assert dev[0].text_pair.startswith('"The foodservice pie business')  # an unbalanced quote stays text


def test_cola_rte_stsb() -> None:
    assert sizes("cola", "train", "validation") == [8551, 1043]
    assert sizes("rte", "train", "validation") == [2490, 277]
    cola = load_split(load_task("cola"), "validation", DATA_DIR)
    assert cola[0].text == "The sailors rode the breeze clear of the rocks." and cola[0].label == 1
    stsb = load_task("stsb")
    train, dev = load_split(stsb, "train", DATA_DIR), load_split(stsb, "validation", DATA_DIR)
    assert (len(train), len(dev)) == (5749, 1500)
    scores = [e.label for e in train + dev]
    assert all(isinstance(s, float) and 0.0 <= s <= 5.0 for s in scores)
    assert dev[1].label == 4.75 and dev[0].text_pair == "A man wearing a hard hat is dancing."


def test_conll2003_sentences_and_tags() -> None:
    task = load_task("conll2003")
    train = load_split(task, "train", DATA_DIR)
    valid, test = load_split(task, "validation", DATA_DIR), load_split(task, "test", DATA_DIR)
    assert (len(train), len(valid), len(test)) == (14041, 3250, 3453)
    assert train[0].words == ("EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", ".")
    assert [task.labels[t] for t in train[0].tags] == ["B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O"]
    for example in train + valid + test:
        assert len(example.words) == len(example.tags)
        assert valid_iob2([task.labels[t] for t in example.tags]), example.id


def test_ocnli_drops_dev_rows_without_majority() -> None:
    assert sizes("ocnli", "validation") == [2950]
    assert sizes("fewclue-ocnli", "train_few_all", "dev_few_all", "test_public") == [160, 160, 2520]


def test_cluener_characters_and_tags() -> None:
    task = load_task("cluener")
    train, dev = load_split(task, "train", DATA_DIR), load_split(task, "validation", DATA_DIR)
    assert (len(train), len(dev)) == (10748, 1343)
    first = dev[0]  # 彭小军认为，国内银行现在走的是台湾的发卡模式，...
    text = "".join(first.words)
    assert text.startswith("彭小军认为，国内银行现在走的是台湾的发卡模式") and len(first.words) == len(first.tags)
    tags = [task.labels[t] for t in first.tags]
    assert tags[:4] == ["B-name", "I-name", "I-name", "O"]
    assert tags[15:17] == ["B-address", "I-address"] and text[15:17] == "台湾"
    assert sum(tag.startswith("B-") for tag in tags) == 2
    for example in train + dev:
        assert valid_iob2([task.labels[t] for t in example.tags]), example.id


def test_fewclue_label_sets_and_sizes() -> None:
    tnews = load_task("tnews")
    assert tnews.labels == ["100", "101", "102", "103", "104", "106", "107", "108", "109", "110", "112", "113",
                            "114", "115", "116"]
    assert tnews.label_names[0] == "news_story"
    assert sizes("tnews", "train_few_all", "dev_few_all", "test_public") == [1185, 1098, 2010]
    assert sizes("tnews", *[f.train for f in tnews.folds]) == [240] * 5
    assert sizes("iflytek", "train_few_all", "dev_few_all", "test_public") == [3024, 1373, 1749]
    assert load_task("iflytek").num_labels == 119
    assert sizes("eprstmt", "test_public") == [610]


def test_afqmc_train_is_missing_with_a_clear_error() -> None:
    task = load_task("afqmc")
    assert len(load_split(task, "validation", DATA_DIR)) == 4316
    expected = r"data for task afqmc split train not found: looked for .*clue/afqmc/train.json"
    with pytest.raises(HarnessError, match=expected):
        load_split(task, "train", DATA_DIR)


def test_prepare_data_on_sst2() -> None:
    task = load_task("sst2")
    one = prepare_data(task, DATA_DIR, seed=1, train_limit=500, eval_limit=100)
    two = prepare_data(task, DATA_DIR, seed=2, train_limit=500, eval_limit=100)
    assert one.info["holdout_size"] == 1000 and len(one.selection) == 100
    assert [e.id for e in one.evaluation["validation"]] == [e.id for e in two.evaluation["validation"]]
    assert [e.id for e in one.train] != [e.id for e in two.train]
    full = prepare_data(task, DATA_DIR, seed=1, train_limit=None, eval_limit=None)
    assert len(full.train) == 67349 - 1000 and len(full.evaluation["validation"]) == 872
