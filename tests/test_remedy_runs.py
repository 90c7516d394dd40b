"""Runs with remedies on tiny models: they repeat exactly, augment only training examples, record what they did,
split the robustness report into seen and unseen noise, and compare against no remedy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import harness.remedy.augment as augment_module
from harness.cli.main import main
from harness.pipeline import execute, plan
from harness.pipeline.execute import load_data
from harness.record.store import ResultStore
from harness.remedy.settings import RemedyRequest

REMEDIES = {
    "augment": ["--augment", "typos,word_edits", "--augment-copies", "1"],
    "fgm": ["--adversarial", "fgm"],
    "pgd": ["--adversarial", "pgd", "--adv-steps", "2"],
    "freelb": ["--adversarial", "freelb", "--adv-steps", "2"],
}


def _run(capsys, model: Path, task: str, output: Path, *args: str) -> dict:
    capsys.readouterr()
    assert main(["run", "--model", str(model), "--task", task, "--epochs", "2", "--lr", "1e-3", "--results",
                 str(output), "--quiet", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _rows(output: Path, record: dict) -> list[dict]:
    return ResultStore(output).load_predictions(record["task"]["name"], record["run_id"])


@pytest.mark.parametrize("task", ["tiny-sentiment", "tiny-ner"])
@pytest.mark.parametrize("remedy", list(REMEDIES))
def test_a_run_with_each_remedy_repeats_exactly_on_cpu(env, encoder_dir, capsys, task, remedy):
    first = _run(capsys, encoder_dir, task, env / "a", *REMEDIES[remedy])
    again = _run(capsys, encoder_dir, task, env / "b", *REMEDIES[remedy])
    plain = _run(capsys, encoder_dir, task, env / "c")
    assert first["run_id"] == again["run_id"] != plain["run_id"]  # the remedy is part of the spec
    assert [h["train_loss"] for h in first["training"]["history"]] == [h["train_loss"] for h in
                                                                       again["training"]["history"]]
    assert _rows(env / "a", first) == _rows(env / "b", again)
    # the remedy changed training: another loss than the same run without it once the weights have moved (FGM and
    # PGD report the clean loss, the same as a plain run's on the very first batch)
    assert first["training"]["history"][-1]["train_loss"] != plain["training"]["history"][-1]["train_loss"]
    assert first["remedy"]["seconds_per_step"] > 0


def test_lora_trains_adversarially_through_its_frozen_embeddings(env, encoder_dir, capsys):
    plain = _run(capsys, encoder_dir, "tiny-sentiment", env / "r", "--method", "lora")
    taught = _run(capsys, encoder_dir, "tiny-sentiment", env / "r", "--method", "lora", "--adversarial", "fgm",
                  "--adv-epsilon", "5")
    assert taught["spec"]["remedy"] == {"adversarial": {"kind": "fgm", "epsilon": 5.0}}
    assert taught["training"]["history"][-1]["train_loss"] != plain["training"]["history"][-1]["train_loss"]


def test_augmentation_touches_only_training_examples(env, encoder_dir, monkeypatch):
    touched: list[str] = []
    original = augment_module.perturb_example

    def spy(example, perturbation, **kwargs):
        touched.append(example.id)
        return original(example, perturbation, **kwargs)

    monkeypatch.setattr(augment_module, "perturb_example", spy)
    spec, task = plan(str(encoder_dir), "full", "tiny-sentiment", training={"epochs": 2},
                      remedy=RemedyRequest(augment="typos", augment_prob=1.0))
    execute(spec, task, output=env / "results", show_progress=False)
    data = load_data(spec, task, None)
    train = {e.id for e in data.train}
    held_out = {e.id for e in data.selection} | {e.id for split in data.evaluation.values() for e in split}
    assert set(touched) == train  # every training example, each epoch: prob 1
    assert len(touched) == 2 * len(train)
    assert not set(touched) & held_out


def test_record_keeps_seen_and_unseen_worst_cases_and_per_example_perturbed_rows(env, encoder_dir, capsys):
    record = _run(capsys, encoder_dir, "tiny-sentiment", env / "r", "--augment", "keyboard_typos,char_swap",
                  "--perturb", "keyboard_typos,char_swap,lowercase,synonyms")
    assert record["remedy"]["augment"]["seen"] == ["keyboard_typos", "char_swap"]
    report = record["robustness"]["dev"]
    assert sorted(report["seen"]["perturbations"]) == ["char_swap", "keyboard_typos"]
    assert sorted(report["unseen"]["perturbations"]) == ["lowercase", "synonyms"]
    for group in ("seen", "unseen"):
        assert report[group]["worst_case"]["accuracy"] >= report["worst_case"]["accuracy"]
    rows = ResultStore(env / "r").load_perturbed("tiny-sentiment", record["run_id"])
    assert {row["perturbation"] for row in rows} == set(report["perturbations"])
    assert len(rows) == 4 * report["examples"]
    for name, entry in report["perturbations"].items():  # the rows give back the recorded score
        mine = [row for row in rows if row["perturbation"] == name]
        references = {r["id"]: r["reference"] for r in _rows(env / "r", record)}
        accuracy = sum(row["prediction"] == references[row["id"]] for row in mine) / len(mine)
        assert accuracy == pytest.approx(entry["metrics"]["accuracy"])


def test_compare_remedies_pairs_each_remedy_with_no_remedy_on_the_same_noise(env, encoder_dir, capsys):
    output = env / "results"
    code = main(["compare", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--remedies",
                 "none,augment:keyboard_typos,fgm", "--seeds", "2", "--epochs", "1", "--perturb",
                 "keyboard_typos,lowercase", "--results", str(output), "--quiet", "--in-process", "--n-boot", "200"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "worst unseen" in out and "(augment keyboard_typos)" in out and "(fgm)" in out
    markdown = next((output / "compare").glob("*-remedies.md")).read_text()
    assert "| perturbation |" in markdown and "keyboard_typos |" in markdown
    assert "+0.0000 *" in markdown or "-0" in markdown or "+0" in markdown
    assert next((output / "compare").glob("*-remedies.png")).stat().st_size > 0


def test_verify_reruns_a_remedied_run_to_the_same_numbers(env, encoder_dir, capsys):
    record = _run(capsys, encoder_dir, "tiny-ner", env / "r", "--augment", "word_edits", "--adversarial", "pgd",
                  "--adv-steps", "2", "--perturb", "keyboard_typos")
    assert main(["verify", record["run_id"], "--results", str(env / "r"), "--device", "cpu", "--quiet"]) == 0


def test_sweep_files_take_a_remedy_mapping(env, encoder_dir, capsys):
    sweep = env / "sweep.yaml"
    sweep.write_text(f"models: [{encoder_dir}]\nmethods: [full]\ntasks: [tiny-sentiment]\nseeds: 2\n"
                     "remedy: {adversarial: fgm, adv_epsilon: 0.5}\n")
    capsys.readouterr()
    assert main(["sweep", "--file", str(sweep), "--dry-run", "--results", str(env / "r")]) == 0
    assert "fgm (epsilon 0.5)" in capsys.readouterr().out
    sweep.write_text(sweep.read_text().replace("adv_epsilon", "adv_eps"))
    assert main(["sweep", "--file", str(sweep), "--dry-run", "--results", str(env / "r")]) == 2
    assert "remedy has unknown key adv_eps" in capsys.readouterr().err


def test_the_rerun_command_asks_for_the_same_remedy():
    from harness.record.rerun import rerun_command

    spec = {"model": "minilm", "method": "full", "task": "sst2", "seed": 0,
            "remedy": {"augment": {"perturbations": "typos", "prob": 0.3, "copies": 1},
                       "adversarial": {"kind": "pgd", "epsilon": 1.0, "steps": 2, "alpha": 0.3}}}
    assert rerun_command(spec).endswith("--augment typos --augment-prob 0.3 --augment-copies 1 --adversarial pgd "
                                        "--adv-epsilon 1.0 --adv-steps 2 --adv-alpha 0.3")
