"""Attacks through the whole run on tiny models: recorded with their rows, repeatable, over saved runs too, on
prompted runs, and readable side by side."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from harness.cli.main import main


def _run(capsys, model: Path, task: str, output: Path, *args: str) -> dict:
    capsys.readouterr()
    training = [] if "zero-shot" in args else ["--epochs", "2", "--lr", "1e-3"]
    assert main(["run", "--model", str(model), "--task", task, *training, "--results", str(output), "--quiet",
                 "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _attacked(output: Path, record: dict) -> list[dict]:
    path = output / record["task"]["name"] / f"{record['run_id']}.attacked.jsonl.gz"
    with gzip.open(path, "rt") as handle:
        return [json.loads(line) for line in handle]


def test_an_attacked_run_records_each_attack_and_repeats_exactly(env, encoder_dir, capsys):
    args = ["--attack", "word,char", "--attack-budget", "30", "--attack-max-share", "0.5", "--perturb", "uppercase"]
    first = _run(capsys, encoder_dir, "tiny-sentiment", env / "a", *args)
    again = _run(capsys, encoder_dir, "tiny-sentiment", env / "b", *args)
    plain = _run(capsys, encoder_dir, "tiny-sentiment", env / "c")
    assert first["spec"]["attack"] == {"attacks": "word,char", "budget": 30, "max_share": 0.5}
    assert first["run_id"] == again["run_id"] != plain["run_id"]
    report = first["attack"]["dev"]
    assert set(report["attacks"]) == {"word", "char"} and report["worst_attack"] in {"word", "char"}
    clean = first["metrics"]["dev"]["values"]["accuracy"]
    assert report["clean"]["accuracy"] == clean
    for result in report["attacks"].values():
        assert result["metrics"]["values"]["accuracy"] <= clean  # an attack only ever keeps flips
        assert result["queries_max"] <= 30
        assert result["attacked"] + result["already_wrong"] + result["untouchable"] == report["examples"]
    assert report["worst_case"]["metrics"]["values"]["accuracy"] <= min(
        r["metrics"]["values"]["accuracy"] for r in report["attacks"].values())
    rows = _attacked(env / "a", first)
    assert rows == _attacked(env / "b", again)
    assert len(rows) == 2 * report["examples"]
    assert all(row["queries"] == 0 for row in rows if row["status"] in ("already_wrong", "untouchable"))
    assert not (env / "c" / "tiny-sentiment" / f"{plain['run_id']}.attacked.jsonl.gz").exists()


def test_ner_runs_are_attacked_with_tags_kept(env, encoder_dir, capsys):
    record = _run(capsys, encoder_dir, "tiny-ner", env / "r", "--attack", "ner", "--attack-max-share", "0.5")
    rows = _attacked(env / "r", record)
    assert rows and all(len(row["prediction"]) == row["units"] for row in rows)
    assert all(len(row["words"]) == row["units"] for row in rows if "words" in row)
    assert "entity_f1" in json.dumps(record["attack"])


def test_a_prompted_run_is_attacked_through_its_choice_probabilities(env, causal_lm_dir, capsys):
    record = _run(capsys, causal_lm_dir, "tiny-sentiment", env / "p", "--method", "zero-shot", "--attack", "char",
                  "--attack-max-share", "1")
    result = record["attack"]["dev"]["attacks"]["char"]
    assert result["attacked"] + result["already_wrong"] + result["untouchable"] == record["attack"]["dev"]["examples"]
    assert result["queries_total"] > 0 or result["attacked"] == 0


def test_saved_runs_are_attacked_afterwards_and_keep_everything_else(env, encoder_dir, capsys):
    record = _run(capsys, encoder_dir, "tiny-sentiment", env / "s", "--save-model", "--perturb", "lowercase")
    path = env / "s" / "tiny-sentiment" / f"{record['run_id']}.json"
    capsys.readouterr()
    assert main(["robustness", "--results", str(env / "s"), "--attack", "char", "--attack-max-share", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "attacks · tiny-sentiment" in out and "worst" in out
    updated = json.loads(path.read_text())
    assert updated["robustness"] == record["robustness"]  # --attack alone re-runs no perturbation
    assert updated["metrics"] == record["metrics"] and updated["spec"] == record["spec"]
    assert updated["attack"]["dev"]["examples"] == len(_attacked(env / "s", updated))
    assert set(updated["attack"]["dev"]["added_by"]) == {"git", "at"}  # the code that attacked it, not trained it
    capsys.readouterr()
    assert main(["attacks", "--run", record["run_id"], "--results", str(env / "s")]) == 0
    shown = capsys.readouterr().out
    assert "adversarial examples" in shown and "char" in shown


def test_compare_judges_methods_under_attack_with_paired_tests(env, encoder_dir, capsys):
    output = env / "results"
    capsys.readouterr()
    assert main(["compare", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--methods", "full,lora",
                 "--seeds", "2", "--epochs", "2", "--attack", "char", "--attack-max-share", "0.5", "--perturb",
                 "uppercase", "--results", str(output), "--quiet", "--in-process"]) == 0
    out = capsys.readouterr().out
    assert "under attack ·" in out and "random worst case" in out and "char (success, queries)" in out
    markdown = next((output / "compare").glob("*-attacks.md")).read_text()
    assert markdown.count("\n| ") == 3  # header and two rows: full (the reference) and lora
    assert "| lora | 0,1 |" in markdown and " p " in markdown


def test_views_show_scores_under_attack(env, encoder_dir, capsys):
    output = env / "results"
    record = _run(capsys, encoder_dir, "tiny-sentiment", output, "--attack", "char", "--attack-max-share", "0.5",
                  "--perturb", "uppercase")
    view = env / "attacked.yaml"
    view.write_text("name: attacked\ntitle: under attack\nruns: {task: [tiny-sentiment]}\ncolumns:\n"
                    "  - {robustness: clean, task: tiny-sentiment, label: clean}\n"
                    "  - {robustness: under_attack, task: tiny-sentiment, label: under attack}\n"
                    "  - {robustness: attack_char, task: tiny-sentiment, label: char}\n"
                    "  - {robustness: attack_success, task: tiny-sentiment, label: success}\n")
    capsys.readouterr()
    assert main(["leaderboard", str(view), "--results", str(output), "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["rows"]
    report = record["attack"]["dev"]
    assert row["cells"]["under attack"]["value"] == report["worst_case"]["metrics"]["values"]["accuracy"]
    assert row["cells"]["char"]["value"] == report["attacks"]["char"]["metrics"]["values"]["accuracy"]
    assert row["cells"]["under attack"]["interval"] == report["worst_case"]["metrics"]["intervals"]["accuracy"]
    assert row["cells"]["success"]["value"] == report["attacks"]["char"]["success_rate"]["value"]
    assert main(["robustness", "--results", str(output), "--show"]) == 0
    shown = capsys.readouterr().out
    assert "attack char" in shown and "under attack (worst)" in shown
