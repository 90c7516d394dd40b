"""`harness ensemble` end to end on tiny recorded runs: records, views, regress, the Python API, bad input."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from prediction_rows import rows_text, write_rows_text
from user_tasks import write_user_tasks

from harness.cli.main import main
from harness.fusion import Selection, ensemble
from harness.fusion.iob2 import is_valid

TASKS = ("tiny-sentiment", "tiny-ner", "tiny-similarity")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, encoder_dir) -> Path:
    """Three seeds of full fine-tuning per tiny task, recorded once for the module."""
    root = tmp_path_factory.mktemp("fusion")
    tasks = write_user_tasks(root / "my_tasks")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_TASKS_PATH", str(tasks))
        for task in TASKS:
            for seed in range(3):
                assert main(["run", "--model", str(encoder_dir), "--task", task, "--seed", str(seed), "--epochs",
                             "1", "--results", str(root / "results"), "--quiet"]) == 0
    return root


@pytest.fixture()
def results(recorded, tmp_path, monkeypatch) -> Path:
    """A copy of the recorded runs this test may change, with the tests' tasks on the search path."""
    monkeypatch.setenv("HARNESS_TASKS_PATH", str(recorded / "my_tasks"))
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    shutil.copytree(recorded / "results", tmp_path / "results")
    return tmp_path / "results"


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".locks" not in p.parts}


def _ids(results: Path, task: str) -> list[str]:
    records = [json.loads(p.read_text()) for p in (results / task).glob("*.json")]
    return [r["run_id"] for r in sorted(records, key=lambda r: r["spec"]["seed"]) if r["spec"]["method"] == "full"]


def _ensemble(results: Path, *args: str) -> int:
    return main(["ensemble", "--results", str(results), "--n-boot", "200", *args])


@pytest.mark.parametrize("task", TASKS)
def test_an_ensemble_is_recorded_like_a_run(results, task, capsys):
    assert _ensemble(results, "--task", task, "--json") == 0
    record = json.loads(capsys.readouterr().out)
    assert record["spec"]["method"] == "ensemble" and record["fusion"]["members"][0]["run_id"] == _ids(results, task)[0]
    headline = record["headline"]
    assert headline["value"] == record["metrics"][headline["split"]]["values"][headline["metric"]]
    against = record["fusion"]["against"]
    assert set(against["members"]) == set(_ids(results, task))
    assert against["mean"]["value"] == pytest.approx(sum(against["members"].values()) / 3)
    assert against["best"]["delta"] == pytest.approx(headline["value"] - against["best"]["value"])
    assert record["costs"]["total_parameters"] == 3 * json.loads(
        (results / task / f"{_ids(results, task)[0]}.json").read_text())["costs"]["total_parameters"]
    rows = [json.loads(line) for line in
            rows_text(results / task / f"{record['run_id']}.predictions.jsonl.gz").splitlines()]
    assert sum(row["split"] in record["metrics"] for row in rows) == sum(r["n"] for r in record["metrics"].values())


def test_ner_ensemble_decodes_valid_spans(results, capsys):
    assert _ensemble(results, *_ids(results, "tiny-ner"), "--combine", "majority", "--json") == 0
    record = json.loads(capsys.readouterr().out)
    rows = [json.loads(line) for line in
            rows_text(results / "tiny-ner" / f"{record['run_id']}.predictions.jsonl.gz").splitlines()]
    assert rows and all(is_valid(row["prediction"]) for row in rows)
    assert all(len(row["probabilities"]) == len(row["prediction"]) for row in rows)


def test_the_same_ensemble_is_found_again_and_weights_make_another(results, capsys):
    ids = _ids(results, "tiny-sentiment")
    assert _ensemble(results, *ids) == 0
    before = _snapshot(results)
    assert _ensemble(results, *ids) == 0
    assert "already recorded" in capsys.readouterr().out and _snapshot(results) == before
    assert _ensemble(results, *ids, "--weights", "2,1,1") == 0
    assert len(_snapshot(results)) == len(before) + 2


def test_python_api_gives_the_cli_record(results, capsys):
    assert _ensemble(results, "--task", "tiny-ner", "--seeds", "0,1", "--json") == 0
    cli = json.loads(capsys.readouterr().out)
    api = ensemble(selection=Selection("tiny-ner", seeds=(0, 1)), results=results, n_boot=200, force=True).record
    assert api["run_id"] == cli["run_id"] and api["metrics"] == cli["metrics"]
    assert api["fusion"]["against"] == cli["fusion"]["against"]


def test_ensembles_load_in_views_and_regress(results, capsys):
    assert _ensemble(results, "--task", "tiny-sentiment") == 0
    capsys.readouterr()
    assert main(["leaderboard", "--results", str(results), "--format", "markdown"]) == 0
    board = capsys.readouterr().out
    assert "ensemble" in board and "soft of 3 full runs" in board
    assert main(["results", "check", "--results", str(results)]) == 0
    assert main(["regress", "--baseline", str(results), "--candidate", str(results), "--method", "ensemble",
                 "--task", "tiny-sentiment"]) == 0
    assert "PASS" in capsys.readouterr().out


def _strip_probabilities(results: Path, task: str, run_id: str) -> None:
    path = results / task / f"{run_id}.predictions.jsonl.gz"
    rows = [json.loads(line) for line in rows_text(path).splitlines()]
    write_rows_text(path, "".join(json.dumps({k: v for k, v in row.items() if k != "probabilities"}) + "\n"
                                  for row in rows))


def _change_data(results: Path, task: str, run_id: str) -> None:
    path = results / task / f"{run_id}.json"
    record = json.loads(path.read_text())
    record["data"]["file_sha256"] = {split: "0" * 16 for split in record["data"]["file_sha256"]}
    path.write_text(json.dumps(record))


BAD = [
    (lambda r: [_ids(r, "tiny-sentiment")[0]], "1 member found; combining needs at least 2"),
    (lambda r: ["--task", "tiny-sentiment", "--seeds", "1"], "1 member found"),
    (lambda r: [_ids(r, "tiny-sentiment")[0], "ffffffffffff"], "no run ffffffffffff recorded"),
    (lambda r: [_ids(r, "tiny-sentiment")[0], _ids(r, "tiny-sentiment")[0]], "named twice"),
    (lambda r: [_ids(r, "tiny-sentiment")[0], _ids(r, "tiny-ner")[0]], "runs of different tasks"),
    (lambda r: [*_ids(r, "tiny-sentiment"), "--weights", "1,1"], "2 values for 3 members"),
    (lambda r: [*_ids(r, "tiny-sentiment"), "--weights", "1,-1,1"], "--weights item -1"),
    (lambda r: [*_ids(r, "tiny-sentiment"), "--weights", "1,nan,1"], "--weights item nan"),
    (lambda r: [*_ids(r, "tiny-sentiment"), "--weights", "1,x,1"], "'x' is not a number"),
    (lambda r: [*_ids(r, "tiny-sentiment"), "--combine", "mean"], "'mean' is not one of"),
    (lambda r: ["--model", "minilm"], "give --task too"),
    (lambda r: ["--task", "tiny-sentiment", "--settings", "epochs"], "expected KEY=VALUE"),
    (lambda r: [_ids(r, "tiny-sentiment")[0], "--task", "tiny-sentiment"], "not both"),
    (lambda r: (_strip_probabilities(r, "tiny-ner", _ids(r, "tiny-ner")[1]), _ids(r, "tiny-ner"))[1],
     "has no probabilities in its predictions file"),
    (lambda r: (_change_data(r, "tiny-ner", _ids(r, "tiny-ner")[2]), _ids(r, "tiny-ner"))[1],
     "recorded on different data files"),
]


@pytest.mark.parametrize("make_args, message", BAD)
def test_bad_input_is_one_line_exit_2_and_records_nothing(results, capsys, make_args, message):
    args = make_args(results)
    before = _snapshot(results)
    assert _ensemble(results, *args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert _snapshot(results) == before


def test_old_record_without_probabilities_says_how_to_rerun(results, capsys):
    ids = _ids(results, "tiny-sentiment")
    _strip_probabilities(results, "tiny-sentiment", ids[0])
    assert _ensemble(results, *ids) == 2
    err = capsys.readouterr().err
    assert "rerun it with `harness run --model" in err and "--task tiny-sentiment --seed 0" in err
    assert "--epochs 1" in err and err.rstrip().endswith("and combine again")


VIEW = """
name: tiny-fusion
runs: {method: [ensemble, full], settings: ["soft of 3*", "epochs=1"]}
columns:
  - {task: tiny-sentiment, label: accuracy}
  - {fusion: vs_best, task: tiny-sentiment, label: vs best}
  - {fusion: p_vs_mean, task: tiny-sentiment, label: p mean}
  - {cost: total_parameters, label: parameters}
"""


def test_fusion_view_columns_read_the_paired_tests(results, tmp_path, capsys):
    assert _ensemble(results, "--task", "tiny-sentiment", "--json") == 0
    record = json.loads(capsys.readouterr().out)
    (tmp_path / "view.yaml").write_text(VIEW)
    assert main(["leaderboard", str(tmp_path / "view.yaml"), "--results", str(results), "--format", "markdown"]) == 0
    table = capsys.readouterr().out
    ensemble_row = next(line for line in table.splitlines() if "| ensemble |" in line)
    assert f"{record['fusion']['against']['best']['delta']:+.4f}" in ensemble_row
    assert f"{record['fusion']['against']['mean']['p_value']:.3g}" in ensemble_row
    assert "soft of 3 full runs (epochs=1)" in ensemble_row and "| full |" in table
    (tmp_path / "bad.yaml").write_text(VIEW.replace("vs_best", "vs_worst"))
    assert main(["leaderboard", str(tmp_path / "bad.yaml"), "--results", str(results)]) == 2
    assert "unknown fusion figure 'vs_worst'" in capsys.readouterr().err


def test_compare_shows_an_ensemble_beside_the_methods(results, tmp_path, capsys):
    assert _ensemble(results, "--task", "tiny-sentiment", "--json") == 0
    record = json.loads(capsys.readouterr().out)
    encoder = json.loads((results / "tiny-sentiment" / f"{_ids(results, 'tiny-sentiment')[0]}.json").read_text())
    assert main(["compare", "--task", "tiny-sentiment", "--models", encoder["spec"]["model"], "--methods", "full",
                 "--seeds", "3", "--epochs", "1", "--no-run", "--with", record["run_id"][:8], "--results",
                 str(results), "--report-dir", str(tmp_path / "report")]) == 0
    report = (tmp_path / "report").glob("*.md")
    assert "| ensemble (soft of 3 full runs) | 1 |" in next(report).read_text()
    assert main(["compare", "--task", "tiny-sentiment", "--models", encoder["spec"]["model"], "--methods", "full",
                 "--seeds", "3", "--epochs", "1", "--no-run", "--with", "ffffffff", "--results", str(results)]) == 2


def test_weights_fitted_on_the_selection_split(results, capsys):
    ids = _ids(results, "tiny-ner")
    assert _ensemble(results, *ids, "--fit-weights", "--json") == 0
    record = json.loads(capsys.readouterr().out)
    weights = record["fusion"]["weights"]
    assert len(weights) == 3 and sum(weights) == pytest.approx(1, abs=1e-5) and min(weights) >= 0
    assert record["fusion"]["fitted_on"]["split"] == "valid"  # tiny-ner selects on a split it also reports
    assert set(record["metrics"]) == {"valid", "test"}
    sentiment = _ids(results, "tiny-sentiment")
    assert _ensemble(results, *sentiment, "--fit-weights", "--json") == 0
    record = json.loads(capsys.readouterr().out)
    assert record["fusion"]["fitted_on"] == {"split": "holdout", "examples": 4} and set(record["metrics"]) == {"dev"}
    rows = rows_text(results / "tiny-sentiment" / f"{record['run_id']}.predictions.jsonl.gz").splitlines()
    assert sum('"split": "holdout"' in row for row in rows) == 4  # kept, unscored: an ensemble can be a member
    assert _ensemble(results, *sentiment, "--fit-weights", "--weights", "1,1,1") == 2
    assert "not both" in capsys.readouterr().err


def test_fitting_needs_selection_outputs(results, capsys):
    ids = _ids(results, "tiny-sentiment")
    path = results / "tiny-sentiment" / f"{ids[1]}.predictions.jsonl.gz"
    write_rows_text(path, "".join(line + "\n" for line in rows_text(path).splitlines() if '"holdout"' not in line))
    assert _ensemble(results, *ids, "--fit-weights") == 2
    err = capsys.readouterr().err
    assert "kept no outputs on its selection split (holdout" in err and "or leave out --fit-weights" in err
