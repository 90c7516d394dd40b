"""`harness results export` and `harness.results.load` over copies of real records from the repo's results/:
each format read back with plain pandas equals `load`, rows are one per (run, split, metric) plus the
perturbed and prompt-variant rows, and the file is written whole or not at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import harness.results
from harness.cli.main import main
from harness.errors import BAD_INPUT, HarnessError
from harness.results import TEXT_COLUMNS, load, load_with_warnings, write_frame

REPO_RESULTS = Path(__file__).resolve().parents[1] / "results"


def _pick() -> list[Path]:
    """Real records covering what the table must hold: perturbations, a prompt spread, two splits, a list-valued
    spec field (an ensemble's members), several metrics per split."""
    records = [(p, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(REPO_RESULTS.glob("*/*.json"))]
    wanted = [lambda r: r.get("robustness"), lambda r: (r.get("prompt_spread") or {}).get("scores"),
              lambda r: len(r["metrics"]) > 1, lambda r: "members" in r["spec"].get("method_options", {}),
              lambda r: any(len(m["values"]) > 1 for m in r["metrics"].values())]
    chosen = []
    for test in wanted:
        found = next((p for p, r in records if test(r)), None)
        if found is None:
            pytest.skip("the repo's results/ lacks a record of every kind this test needs")
        chosen.append(found)
    return sorted(set(chosen))


@pytest.fixture
def folder(tmp_path) -> Path:
    for path in _pick():
        (tmp_path / "results" / path.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, tmp_path / "results" / path.parent.name / path.name)
    return tmp_path / "results"


def _records(folder: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*/*.json"))]


def test_rows_are_one_per_run_split_metric_and_per_variant(folder):
    frame = load(folder)
    records = _records(folder)
    clean = frame[frame["kind"] == "clean"]
    assert len(clean) == sum(len(m["values"]) for r in records for m in r["metrics"].values())
    perturbed = sum(len(p["metrics"]) for r in records for s in (r.get("robustness") or {}).values()
                    for p in s["perturbations"].values())
    prompts = sum(len(v) for r in records for s in ((r.get("prompt_spread") or {}).get("scores") or {}).values()
                  for v in s.values())
    assert len(frame) == len(clean) + perturbed + prompts and perturbed and prompts
    assert frame["run_id"].nunique() == len(records)
    assert list(frame.columns[:len(harness.results.COLUMNS)]) == list(harness.results.COLUMNS)
    assert frame["headline"].sum() == len(records)
    for record in records:  # each run's headline row holds its headline value, interval and fingerprint
        row = frame[(frame["run_id"] == record["run_id"]) & frame["headline"]].iloc[0]
        head = record["headline"]
        assert (row["split"], row["metric"], row["value"]) == (head["split"], head["metric"], head["value"])
        assert [row["low"], row["high"]] == head["interval"]
        assert row["data_sha256"] == record["data"]["file_sha256"][head["split"]]
        assert row["n"] == record["metrics"][head["split"]]["n"]
        if "lr" in record["spec"]["training"]:
            assert row["spec.training.lr"] == record["spec"]["training"]["lr"]
        assert row["costs.trainable_parameters"] == record["costs"]["trainable_parameters"]


def test_no_column_holds_dicts_or_lists(folder):
    frame = load(folder)
    for column in frame.columns[frame.dtypes == object]:
        assert not any(isinstance(v, (dict, list)) for v in frame[column]), column
    members = frame["spec.method_options.members"].dropna()
    assert len(members) and all(isinstance(json.loads(v), list) for v in members)  # a list kept as JSON text


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_round_trips_through_pandas(folder, tmp_path, fmt, capsys):
    output = tmp_path / f"runs.{fmt}"
    assert main(["results", "export", "--results", str(folder), "--output", str(output)]) == 0
    expected = load(folder)
    assert capsys.readouterr().out.strip() == (f"wrote {len(expected)} rows ({expected['run_id'].nunique()} runs) "
                                               f"to {output}")
    text = {c: "str" for c in TEXT_COLUMNS}
    if fmt == "parquet":
        back = pd.read_parquet(output)
    elif fmt == "csv":
        back = pd.read_csv(output, dtype=text, parse_dates=["created_at"])
    else:
        back = pd.read_json(output, lines=True, dtype=text)
    assert list(back.columns) == list(expected.columns)
    # the columns a user computes with come back typed from every format, with no help
    for column in ("value", "low", "high", "severity"):
        assert pd.api.types.is_float_dtype(back[column]), column
    assert pd.api.types.is_integer_dtype(back["seed"]) and pd.api.types.is_bool_dtype(back["headline"])
    assert pd.api.types.is_datetime64_any_dtype(back["created_at"])
    if fmt != "parquet":  # csv and JSON lines keep no types (a true/false column with gaps reads as objects)
        back = back.astype(dict(expected.dtypes))
    pd.testing.assert_frame_equal(back, expected, check_exact=False, rtol=1e-12)


def test_unreadable_record_is_skipped_with_a_warning(folder, tmp_path, capsys):
    broken = folder / "sst2" / "0badc0ffee000000.json"
    broken.parent.mkdir(exist_ok=True)
    broken.write_text('{"run_id": ', encoding="utf-8")
    frame, problems = load_with_warnings(folder)
    assert problems == [f"skipped {broken}: unreadable (JSONDecodeError)"]
    with pytest.warns(harness.results.SkippedRecord, match="0badc0ffee000000"):
        assert load(folder).equals(frame)
    assert main(["results", "export", "--results", str(folder), "--output", str(tmp_path / "out.csv")]) == 0
    assert capsys.readouterr().err.strip() == f"warning: {problems[0]}"


def test_a_failed_export_leaves_the_old_file(folder, tmp_path, monkeypatch):
    output = tmp_path / "runs.parquet"
    write_frame(load(folder), output, "parquet")
    before = output.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail)
    with pytest.raises(HarnessError, match="No space left on device"):
        write_frame(load(folder), output, "parquet")
    assert output.read_bytes() == before and [p.name for p in tmp_path.iterdir() if p.is_file()] == [output.name]


def test_an_empty_folder_loads_as_an_empty_table_with_every_column(tmp_path):
    (tmp_path / "results").mkdir()
    frame = load(tmp_path / "results")
    assert frame.empty and list(frame.columns) == list(harness.results.COLUMNS)


@pytest.mark.parametrize("argv, fragment", [
    (["--output", "runs.xlsx"], "cannot tell the format of runs.xlsx"),
    (["--format", "csv", "--output", "runs.parquet"], "--format csv does not match runs.parquet"),
    (["--format", "xlsx", "--output", "runs.xlsx"], "'xlsx' is not one of 'jsonl', 'csv', 'parquet'"),
])
def test_format_mistakes_are_one_line(folder, tmp_path, monkeypatch, capsys, argv, fragment):
    monkeypatch.chdir(tmp_path)
    assert main(["results", "export", "--results", str(folder), *argv]) == BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1
    assert not list(tmp_path.glob("runs.*"))


def test_export_starts_without_torch(folder, tmp_path):
    """`harness results export` loads only its own command: no torch, peft or the spec (seconds of start-up)."""
    code = ("import sys; from harness.cli.main import main; "
            f"assert main(['results', 'export', '--results', {str(folder)!r}, '--output', {str(tmp_path / 'r.csv')!r}]) "
            "== 0; heavy = sorted({'torch', 'peft', 'harness.spec'} & set(sys.modules)); assert not heavy, heavy")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO_RESULTS.parent)})
    assert done.returncode == 0, done.stderr
