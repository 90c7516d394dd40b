"""`harness run` end to end on tiny models and the tests' own task folders."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.record.store import ResultStore


def _run(env, model_dir, *args):
    return main(["run", "--model", str(model_dir), "--results", str(env / "results"), "--epochs", "2",
                 "--quiet", *args])


def _snapshot(folder: Path) -> dict[str, str]:
    """Every recorded file and its hash (lock files are runtime state, not records)."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".locks" not in p.parts}


@pytest.mark.parametrize("task", ["tiny-sentiment", "tiny-similarity", "tiny-ner"])
@pytest.mark.parametrize("model_fixture", ["encoder_dir", "decoder_dir"])
@pytest.mark.parametrize("method", ["full", "lora"])
def test_run_records_every_kind(env, task, model_fixture, method, request):
    assert _run(env, request.getfixturevalue(model_fixture), "--task", task, "--method", method) == 0
    (record_path,) = (env / "results" / task).glob("*.json")
    record = json.loads(record_path.read_text())
    assert record["spec"]["method"] == method and record["task"]["name"] == task
    assert len(record["task"]["hash"]) == 64 and record["environment"]["versions"]["torch"]
    headline = record["headline"]
    assert headline["value"] == record["metrics"][headline["split"]]["values"][headline["metric"]]
    low, high = headline["interval"]
    assert low <= high
    assert 0 < record["model"]["trainable_parameters"] <= record["model"]["parameters"]
    assert record["training"]["train_examples_per_second"] > 0 and record["training"]["peak_memory_mb"] > 0
    rows = ResultStore(record_path.parents[1]).load_predictions(record_path.parent.name, record_path.stem)
    evaluated = sum(record["metrics"][s]["n"] for s in record["metrics"])
    assert sum(row["split"] in record["metrics"] for row in rows) == evaluated
    # the selection split's outputs, unscored, unless a reported split holds them (what ensembles fit weights on)
    selection = "holdout" if record["data"]["selection"] == "holdout" else record["data"]["selection"]
    kept = [row for row in rows if row["split"] == selection and selection not in record["metrics"]]
    assert len(kept) == (0 if selection in record["metrics"] else record["data"]["selection_size"])


def test_recorded_run_is_skipped_then_forced(env, encoder_dir, capsys):
    assert _run(env, encoder_dir, "--task", "tiny-sentiment") == 0
    before = _snapshot(env / "results")
    assert _run(env, encoder_dir, "--task", "tiny-sentiment") == 0
    assert "already recorded" in capsys.readouterr().out
    assert _snapshot(env / "results") == before
    assert _run(env, encoder_dir, "--task", "tiny-sentiment", "--force") == 0
    assert len(list((env / "results" / "tiny-sentiment").glob("*.json"))) == 1


def test_json_prints_the_whole_record(env, encoder_dir, capsys):
    assert _run(env, encoder_dir, "--task", "tiny-sentiment", "--json") == 0
    record = json.loads(capsys.readouterr().out)
    assert record["metrics"]["dev"]["values"]["accuracy"] >= 0


def test_explicit_default_gives_the_same_run(env, encoder_dir, capsys):
    assert _run(env, encoder_dir, "--task", "tiny-sentiment", "--method", "lora") == 0
    capsys.readouterr()
    assert _run(env, encoder_dir, "--task", "tiny-sentiment", "--method", "lora", "--lora-r", "8") == 0
    assert "already recorded" in capsys.readouterr().out


def test_same_seed_repeats_exactly(env, encoder_dir):
    for output in ("a", "b"):
        assert main(["run", "--model", str(encoder_dir), "--task", "tiny-ner", "--results", str(env / output),
                     "--epochs", "2", "--quiet"]) == 0
    (a,), (b,) = (list((env / o / "tiny-ner").glob("*.predictions.jsonl.gz")) for o in ("a", "b"))
    assert a.read_bytes() == b.read_bytes()


def test_leaderboard_shows_recorded_runs(env, encoder_dir, capsys):
    assert _run(env, encoder_dir, "--task", "tiny-sentiment") == 0
    assert _run(env, encoder_dir, "--task", "tiny-sentiment", "--seed", "1") == 0
    capsys.readouterr()
    assert main(["leaderboard", "--results", str(env / "results"), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "tiny-sentiment" in out and "(n=2)" in out and str(encoder_dir) in out


BAD_INPUTS = [
    (["--task", "tiny-sentimnt"], "did you mean tiny-sentiment"),
    (["--task", "tiny-sentiment", "--method", "lorra"], "did you mean lora"),
    (["--task", "tiny-sentiment", "--method", "full", "--lora-r", "4"], "--lora-r only apply to another method"),
    (["--task", "tiny-sentiment", "--method", "lora", "--lora-targets", "nope"], "not a linear layer"),
    (["--task", "tiny-sentiment", "--lr", "-1"], "--lr -1: expected a number above 0"),
    (["--task", "tiny-sentiment", "--batch-size", "0"], "--batch-size 0: expected a whole number from 1"),
]


@pytest.mark.parametrize("args,message", BAD_INPUTS)
def test_bad_input_is_one_line_exit_2_and_touches_nothing(env, encoder_dir, capsys, args, message):
    assert _run(env, encoder_dir, "--task", "tiny-ner") == 0
    before = _snapshot(env / "results")
    capsys.readouterr()
    assert _run(env, encoder_dir, *args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert _snapshot(env / "results") == before


def test_missing_model_folder(env, capsys):
    assert main(["run", "--model", "./no-such-model", "--task", "tiny-sentiment", "--quiet"]) == 2
    assert "not found" in capsys.readouterr().err


def test_missing_data_says_where_it_looked(env, encoder_dir, capsys):
    (env / "my_tasks" / "sentiment" / "dev.tsv").unlink()
    assert _run(env, encoder_dir, "--task", "tiny-sentiment") == 2
    err = capsys.readouterr().err
    assert "dev.tsv" in err and "looked for" in err


def test_label_outside_the_label_set_names_file_and_row(env, encoder_dir, capsys):
    path = env / "my_tasks" / "sentiment" / "train.tsv"
    path.write_text(path.read_text() + "a stray row\t7\n")
    assert _run(env, encoder_dir, "--task", "tiny-sentiment") == 2
    err = capsys.readouterr().err
    assert "train.tsv" in err and "'7'" in err


def test_tasks_validate_names_the_field(env, capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((env / "my_tasks" / "sentiment.yaml").read_text().replace("kind: text_classification",
                                                                               "kind: sentiment"))
    assert main(["tasks", "validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "kind" in err
    assert main(["tasks", "validate", str(env / "my_tasks" / "sentiment.yaml")]) == 0


def test_tasks_lists_builtin_and_user_tasks(env, capsys):
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    assert "sst2" in out and "conll2003" in out and "tiny-ner" in out


def test_fold_out_of_range_is_refused(env, encoder_dir, capsys):
    assert _run(env, encoder_dir, "--task", "tiny-sentiment", "--fold", "3") == 2
    assert "defines no folds" in capsys.readouterr().err


def test_model_name_one_typo_from_a_short_name(env, capsys):
    assert main(["run", "--model", "minlm", "--task", "tiny-sentiment", "--quiet"]) == 2
    assert "did you mean minilm" in capsys.readouterr().err


def test_leaderboard_never_averages_different_settings(env, encoder_dir, capsys):
    assert _run(env, encoder_dir, "--task", "tiny-sentiment") == 0
    assert _run(env, encoder_dir, "--task", "tiny-sentiment", "--lr", "0.01") == 0
    capsys.readouterr()
    assert main(["leaderboard", "--results", str(env / "results"), "--format", "markdown"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if str(encoder_dir) in line]
    assert len(rows) == 2 and any("lr=0.01" in row for row in rows)
    assert all("±" not in row and "(n=" not in row for row in rows)  # one run each: its own interval, no mean


def test_leaderboard_on_an_empty_folder(tmp_path, capsys):
    assert main(["leaderboard", "--results", str(tmp_path)]) == 2
    assert "no run records" in capsys.readouterr().err


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="a GPU is visible")
def test_cuda_refused_without_gpu(env, encoder_dir, capsys):
    assert _run(env, encoder_dir, "--task", "tiny-sentiment", "--device", "cuda") == 2
    assert "no CUDA device" in capsys.readouterr().err
