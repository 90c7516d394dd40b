"""Prompt spreads through whole runs on a tiny causal LM: the record, the variants' rows, agreement with
single-prompt runs, views, regress, and every bad input (one line, exit 2, nothing recorded changed)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml
from distill_fixtures import _snapshot
from user_tasks import SENTIMENT

from harness.board.view import BUILTIN_DIR as VIEWS_DIR
from harness.cli.main import main
from harness.prompt_spread.formats import Axis
from harness.prompt_spread.registry import FORMAT_AXES
from harness.tasks.prompts import Prompt


def _run(capsys, model: Path, output: Path, *args: str) -> dict:
    capsys.readouterr()
    assert main(["run", "--model", str(model), "--task", "tiny-sentiment", "--results", str(output), "--quiet",
                 "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _variant_rows(output: Path, record: dict) -> list[dict]:
    with gzip.open(output / "tiny-sentiment" / f"{record['run_id']}.prompts.jsonl.gz", "rt") as handle:
        return [json.loads(line) for line in handle]


def test_each_variant_scores_as_its_single_prompt_run(env, causal_lm_dir, capsys):
    out = env / "results"
    spread = _run(capsys, causal_lm_dir, out, "--method", "zero-shot", "--prompts", "all")
    question = _run(capsys, causal_lm_dir, out, "--method", "zero-shot")
    it_was = _run(capsys, causal_lm_dir, out, "--method", "zero-shot", "--zero-shot-prompt", "it-was")
    section = spread["prompt_spread"]
    assert section["settings"]["prompts"] == ["question", "it-was"] and section["settings"]["formats"] == 1
    assert spread["run_id"] not in (question["run_id"], it_was["run_id"])
    assert spread["metrics"]["dev"]["values"] == question["metrics"]["dev"]["values"]  # the headline: the first
    assert spread["spec"]["prompt_hash"] == question["spec"]["prompt_hash"]
    scores = section["scores"]["dev"]
    assert scores["question/as-written"] == question["metrics"]["dev"]["values"]
    assert scores["it-was/as-written"] == it_was["metrics"]["dev"]["values"]
    stats = section["splits"]["dev"]["accuracy"]
    values = [s["accuracy"] for s in scores.values()]
    assert stats["variants"] == 2 and stats["min"] == min(values) and stats["max"] == max(values)
    assert set(stats["by_prompt"]) == {"question", "it-was"}
    rows = _variant_rows(out, spread)
    single = [json.loads(line) for line in gzip.open(out / "tiny-sentiment" /
                                                     f"{it_was['run_id']}.predictions.jsonl.gz", "rt")]
    row = next(r for r in rows if r["variant"] == "it-was/as-written")
    assert row["predictions"] == [r["prediction"] for r in single] and row["ids"] == [r["id"] for r in single]


def test_formats_of_one_prompt_are_recorded_with_their_text_and_repeat_exactly(env, causal_lm_dir, capsys):
    args = ["--method", "zero-shot", "--prompts", "question", "--prompt-formats", "5"]
    first = _run(capsys, causal_lm_dir, env / "a", *args)
    again = _run(capsys, causal_lm_dir, env / "b", *args)
    assert first["run_id"] == again["run_id"]
    assert first["prompt_spread"]["scores"] == again["prompt_spread"]["scores"]
    variants = first["prompt_spread"]["variants"]
    assert len(variants) == 5 and variants[0]["name"] == "question/as-written"
    assert len({v["prompt_hash"] for v in variants}) == 5 and len({v["name"] for v in variants}) == 5
    assert all("{{sentence}}" in v["template"] for v in variants)
    assert len(_variant_rows(env / "a", first)) == 5  # one split
    section = first["prompt_spread"]
    assert section["examples_scored"] == 5 * first["metrics"]["dev"]["n"] and section["examples_per_second"] > 0


def test_demonstration_draws_start_with_the_single_runs_draw(env, causal_lm_dir, capsys):
    out = env / "results"
    drawn = _run(capsys, causal_lm_dir, out, "--method", "few-shot", "--few-shot-k", "2", "--demo-draws", "3")
    single = _run(capsys, causal_lm_dir, out, "--method", "few-shot", "--few-shot-k", "2")
    variants = drawn["prompt_spread"]["variants"]
    assert [v["draw"] for v in variants] == [0, 1, 2]
    assert variants[0]["demonstration_ids"] == single["prompting"]["demonstration_ids"]
    assert len({tuple(v["demonstration_ids"]) for v in variants}) == 3
    assert drawn["prompt_spread"]["scores"]["dev"]["question/as-written"] == single["metrics"]["dev"]["values"]


def test_spread_runs_load_in_every_view_and_gate_on_the_mean_over_variants(env, causal_lm_dir, capsys):
    out = env / "results"
    base = _run(capsys, causal_lm_dir, out / "base", "--method", "zero-shot", "--prompts", "question",
                "--prompt-formats", "4")
    _run(capsys, causal_lm_dir, out / "cand", "--method", "zero-shot", "--prompts", "question", "--prompt-formats",
         "4", "--zero-shot-calibrate", "true")
    for view in sorted(p.stem for p in VIEWS_DIR.glob("*.yaml")):
        capsys.readouterr()  # built-in views name built-in tasks: a tiny task's record is read, not shown
        code = main(["leaderboard", view, "--results", str(out / "base"), "--format", "markdown"])
        err = capsys.readouterr().err
        assert code in (0, 2) and "Traceback" not in err, (view, err)
    view = Path(env / "spread.yaml")
    view.write_text(yaml.safe_dump({"name": "s", "title": "s", "rows": ["model", "method", "settings"], "columns": [
        {"task": "tiny-sentiment"}, {"prompts": "prompt_mean", "task": "tiny-sentiment"},
        {"prompts": "prompt_spread", "task": "tiny-sentiment"}]}))
    capsys.readouterr()
    assert main(["leaderboard", str(view), "--results", str(out / "base"), "--format", "markdown"]) == 0
    table = capsys.readouterr().out
    stats = base["prompt_spread"]["splits"]["dev"]["accuracy"]
    assert f"{stats['mean']:.4f}" in table and f"{stats['spread']:.4f}" in table
    assert "over 1 prompt x 4 formats x 1 draw" in table
    capsys.readouterr()
    code = main(["regress", "--baseline", str(out / "base"), "--candidate", str(out / "cand"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    check = next(c for c in report["checks"] if c["metric"] == "accuracy")
    assert check["prompt_variants"] == 4
    cand = json.loads(next((out / "cand" / "tiny-sentiment").glob("*[0-9a-f].json")).read_text())
    pairs = zip(base["prompt_spread"]["scores"]["dev"].values(), cand["prompt_spread"]["scores"]["dev"].values())
    differences = [c["accuracy"] - b["accuracy"] for b, c in pairs]
    assert check["prompt_variants_better"] == sum(d > 0 for d in differences)
    assert check["prompt_variants_worse"] == sum(d < 0 for d in differences)
    assert check["baseline"] == pytest.approx(stats["mean"])


class _Dropper(Axis):
    name = "dropper"
    description = "a broken plugin axis: loses the example's text"

    def options(self, prompt):
        return ("drop",)

    def apply(self, prompt, option):
        return Prompt(**{**prompt.__dict__, "template": "Answer:"})


@pytest.fixture()
def dropper():
    FORMAT_AXES.register(_Dropper())
    yield
    FORMAT_AXES.unregister("dropper")


def _colliding_task(folder: Path) -> Path:
    raw = yaml.safe_load(SENTIMENT)
    raw["prompts"][0]["synonyms"] = [["bad", "positive"], ["good", "great"]]
    path = folder / "colliding.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


BAD = [
    ("unknown-prompt", ["--method", "zero-shot", "--prompts", "question,nope"], "has no prompt 'nope'"),
    ("formats-0", ["--method", "zero-shot", "--prompt-formats", "0"], "--prompt-formats 0: expected a whole number "
                                                                      "from 1 to 100"),
    ("formats-negative", ["--method", "zero-shot", "--prompt-formats", "-3"], "--prompt-formats -3"),
    ("formats-above-max", ["--method", "zero-shot", "--prompt-formats", "101"], "from 1 to 100"),
    ("formats-beyond-the-prompt", ["--method", "zero-shot", "--prompts", "it-was", "--prompt-formats", "3"],
     "prompt 'it-was' has only 1 distinct formats"),
    ("draws-beyond-possible", ["--method", "few-shot", "--few-shot-k", "3", "--train-limit", "3", "--demo-draws", "7"],
     "allows only 6 distinct ordered draws"),
    ("draws-without-demonstrations", ["--method", "zero-shot", "--demo-draws", "3"], "use --method few-shot"),
    ("spread-of-a-fine-tuned-run", ["--method", "lora", "--prompts", "all"], "apply to --method zero-shot or few-shot"),
    ("base-prompt-outside-the-spread", ["--method", "zero-shot", "--zero-shot-prompt", "it-was", "--prompts",
                                        "question"], "--prompt it-was is not among --prompts question"),
    ("one-variant-only", ["--method", "zero-shot", "--prompts", "question"], "is a single prompt"),
]


@pytest.fixture()
def recorded(env, causal_lm_dir, capsys) -> Path:
    out = env / "results"
    _run(capsys, causal_lm_dir, out, "--method", "zero-shot", "--prompts", "all")
    return out


@pytest.mark.parametrize("args, message", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_spread_input_is_one_line_exit_2_and_changes_nothing(recorded, causal_lm_dir, capsys, args, message):
    _refused(recorded, capsys, ["--model", str(causal_lm_dir), "--task", "tiny-sentiment", *args], message)


def test_a_format_axis_that_drops_a_field_is_refused_before_scoring(recorded, causal_lm_dir, capsys, dropper):
    _refused(recorded, capsys, ["--model", str(causal_lm_dir), "--task", "tiny-sentiment", "--method", "zero-shot",
                                "--prompts", "question", "--prompt-formats", "3"],
             "removes field(s) sentence of prompt 'question'")


def test_label_synonyms_that_collide_are_refused(recorded, causal_lm_dir, capsys, env):
    _refused(recorded, capsys, ["--model", str(causal_lm_dir), "--task", str(_colliding_task(env)), "--method",
                                "zero-shot", "--prompt-formats", "3"], "'positive' answers both 0 and 1")


def _refused(results: Path, capsys, args: list[str], message: str) -> None:
    before = _snapshot(results)
    capsys.readouterr()
    code = main(["run", *args, "--results", str(results), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "Traceback" not in err and message in err, err
    assert len([line for line in err.splitlines() if line.strip()]) == 1, err
    assert _snapshot(results) == before


def test_the_run_summary_shows_mean_and_spread_in_80_columns(env, causal_lm_dir, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    capsys.readouterr()
    assert main(["run", "--model", str(causal_lm_dir), "--task", "tiny-sentiment", "--results", str(env / "r"),
                 "--quiet", "--method", "zero-shot", "--prompts", "all"]) == 0
    out = capsys.readouterr().out
    record = json.loads(next((env / "r" / "tiny-sentiment").glob("*[0-9a-f].json")).read_text())
    stats = record["prompt_spread"]["splits"]["dev"]["accuracy"]
    assert f"over prompts (mean ± spread): {stats['mean']:.4f} ± {stats['spread']:.4f} over 2 variants" in out
    assert f"worst: {stats['worst']}" in out and "question" in out and "it-was" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_a_sweep_plans_the_same_spread_run(env, causal_lm_dir, capsys):
    record = _run(capsys, causal_lm_dir, env / "r", "--method", "zero-shot", "--prompts", "all")
    sweep = env / "sweep.yaml"
    sweep.write_text(yaml.safe_dump({"models": [str(causal_lm_dir)], "methods": ["zero-shot"],
                                     "tasks": ["tiny-sentiment"], "prompts": "all"}))
    capsys.readouterr()
    assert main(["sweep", "--file", str(sweep), "--results", str(env / "r"), "--dry-run"]) == 0
    assert f"{record['run_id']}" in capsys.readouterr().out
