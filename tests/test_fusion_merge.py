"""Weight merging: the arithmetic on hand-computed examples, and `harness merge` end to end on tiny saved runs."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch
from user_tasks import write_user_tasks

from harness.cli.main import main
from harness.fusion import merge
from harness.fusion.members import read_member
from harness.fusion.merge import _combine, _mean_heads, _pretrained, _unfold
from harness.fusion.weights import dare, linear, task_vector, ties
from harness.record.store import ResultStore
from harness.tasks import load_task


def test_ties_on_a_hand_computed_example():
    a, b = {"w": torch.tensor([1.0, -2.0, 3.0, 0.5])}, {"w": torch.tensor([-1.0, 1.0, 2.0, -4.0])}
    # trimmed to the top half: a [0, -2, 3, 0], b [0, 0, 2, -4]; signs elected: [0, -, +, -]; agreeing means
    assert torch.equal(ties([a, b], [1, 1], density=0.5)["w"], torch.tensor([0.0, -2.0, 2.5, -4.0]))


def test_dare_keeps_a_density_share_rescaled_and_density_one_is_linear():
    delta = {"w": torch.ones(10_000)}
    dropped = dare([delta], [1.0], density=0.25, generator=torch.Generator().manual_seed(0))["w"]
    kept = dropped[dropped != 0]
    assert torch.all(kept == 4.0) and 0.23 < len(kept) / 10_000 < 0.27
    again = dare([delta], [1.0], density=0.25, generator=torch.Generator().manual_seed(0))["w"]
    assert torch.equal(dropped, again)
    pair = [{"w": torch.tensor([1.0, 2.0])}, {"w": torch.tensor([3.0, -2.0])}]
    assert torch.equal(dare(pair, [0.5, 0.5], density=1.0, generator=torch.Generator())["w"],
                       linear(pair, [0.5, 0.5])["w"])


def test_task_vector_and_linear():
    base = {"w": torch.tensor([1.0, 1.0])}
    members = [{"w": torch.tensor([2.0, 0.0])}, {"w": torch.tensor([4.0, 1.0])}]
    deltas = [task_vector(m, base) for m in members]
    assert torch.equal(linear(deltas, [0.5, 0.5])["w"], torch.tensor([2.0, -0.5]))  # soup: mean (3, 0.5) - base


@pytest.fixture(scope="module")
def saved(tmp_path_factory, encoder_dir, decoder_dir, causal_lm_dir) -> Path:
    """Saved tiny runs: three full fine-tunes and two LoRA runs sharing --init-seed 0, a LoRA run of another
    task, a run without a saved model, one of another base model, and a prompted run."""
    root = tmp_path_factory.mktemp("merge")
    tasks = write_user_tasks(root / "my_tasks")
    out = str(root / "results")
    common = ["--epochs", "2", "--init-seed", "0", "--results", out, "--quiet"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_TASKS_PATH", str(tasks))
        for method, seeds in (("full", 3), ("lora", 2)):
            for seed in range(seeds):
                assert main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--method", method,
                             "--seed", str(seed), "--save-model", *common]) == 0
        assert main(["run", "--model", str(encoder_dir), "--task", "tiny-similarity", "--method", "lora",
                     "--save-model", *common]) == 0
        assert main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--seed", "7", *common]) == 0
        assert main(["run", "--model", str(decoder_dir), "--task", "tiny-sentiment", "--save-model", *common]) == 0
        assert main(["run", "--model", str(causal_lm_dir), "--task", "tiny-sentiment", "--method", "zero-shot",
                     "--results", out, "--quiet"]) == 0
    return root


@pytest.fixture()
def results(saved, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HARNESS_TASKS_PATH", str(saved / "my_tasks"))
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    shutil.copytree(saved / "results", tmp_path / "results")
    return tmp_path / "results"


def _runs(results: Path, task: str = "tiny-sentiment", method: str = "full", saved_model: bool = True,
          model: str = "tiny-bert") -> list[str]:
    """Run ids of one kind, by seed; `model` starts the name of the tiny model's folder."""
    records = [json.loads(p.read_text()) for p in sorted((results / task).glob("*.json"))]
    chosen = [r for r in records if r["spec"]["method"] == method and bool(r.get("artifact")) == saved_model
              and Path(r["spec"]["model"]).name.startswith(model)]
    return [r["run_id"] for r in sorted(chosen, key=lambda r: r["spec"]["seed"])]


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".locks" not in p.parts}


def test_soup_of_identical_members_is_the_member(results):
    member = read_member(results / "tiny-sentiment" / f"{_runs(results)[0]}.json")
    task = load_task("tiny-sentiment")
    unfolded = _unfold(ResultStore(results), member, task)
    base = _pretrained(unfolded)
    soup = {**_combine("uniform", {}, [unfolded, unfolded], base), **_mean_heads([unfolded, unfolded], None, base)}
    assert soup.keys() == unfolded.state.keys()
    assert all(torch.allclose(soup[k], unfolded.state[k], atol=1e-6) for k in soup)


@pytest.mark.parametrize("how", ["uniform", "greedy", "task-arithmetic", "ties", "dare"])
def test_every_merge_is_recorded_and_repeats_exactly(results, how, capsys):
    ids = _runs(results)
    assert main(["merge", *ids, "--how", how, "--results", str(results), "--n-boot", "200", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["spec"]["method"] == "merge" and record["fusion"]["merge"] == how
    assert set(record["fusion"]["kept"]) <= set(ids) and record["fusion"]["kept"]
    assert (results / record["artifact"] / "trained.safetensors").is_file()
    rows = (results / "tiny-sentiment" / f"{record['run_id']}.predictions.jsonl.gz").read_bytes()
    assert main(["merge", *ids, "--how", how, "--results", str(results), "--n-boot", "200", "--force"]) == 0
    assert (results / "tiny-sentiment" / f"{record['run_id']}.predictions.jsonl.gz").read_bytes() == rows
    capsys.readouterr()
    assert main(["verify", record["run_id"], "--eval-only", "--results", str(results)]) == 0
    assert "evaluates exactly as recorded" in capsys.readouterr().out


def test_lora_merge_and_multi_task_merge(results, capsys):
    outcomes = merge(_runs(results, method="lora"), results=results, n_boot=200)
    assert outcomes[0].record["costs"]["total_parameters"] < json.loads(
        (results / "tiny-sentiment" / f"{_runs(results, method='lora')[0]}.json").read_text())["model"]["parameters"]
    sentiment, similarity = _runs(results, method="lora")[0], _runs(results, "tiny-similarity", method="lora")[0]
    per_task = merge([sentiment, similarity], how="ties", multi_task=True, results=results, n_boot=200)
    assert [o.record["task"]["name"] for o in per_task] == ["tiny-sentiment", "tiny-similarity"]
    assert [o.record["fusion"]["against"]["best"]["run_id"] for o in per_task] == [sentiment, similarity]
    assert main(["leaderboard", "--results", str(results), "--format", "markdown"]) == 0
    assert "ties of 2 lora runs" in capsys.readouterr().out
    assert main(["results", "check", "--results", str(results)]) == 0


def _as_if_quantized(results: Path) -> list[str]:
    """The LoRA runs, the second rewritten as if trained on a 4-bit base (QLoRA needs CUDA to run for real)."""
    ids = _runs(results, method="lora")
    path = results / "tiny-sentiment" / f"{ids[1]}.json"
    record = json.loads(path.read_text())
    record["spec"]["quantize_base"] = "4bit"
    path.write_text(json.dumps(record))
    return ids


BAD = [
    (lambda r: [_runs(r)[0]], "1 member found"),
    (lambda r: [*_runs(r), "--how", "ties", "--density", "0"], "--density 0: expected a number above 0"),
    (lambda r: [*_runs(r), "--how", "ties", "--density", "1.5"], "--density 1.5"),
    (lambda r: [*_runs(r), "--how", "dare", "--density", "nan"], "--density nan"),
    (lambda r: [*_runs(r), "--density", "0.5"], "--density applies to --how ties or dare"),
    (lambda r: [*_runs(r), "--how", "ties", "--scale", "0"], "--scale 0"),
    (lambda r: [*_runs(r), "--scale", "0.5"], "--scale applies to"),
    (lambda r: [*_runs(r), "--how", "ties", "--seed", "3"], "--seed applies to --how dare"),
    (lambda r: [*_runs(r), "--how", "dare", "--seed", "-1"], "--seed -1"),
    (lambda r: [*_runs(r), "--weights", "1,2"], "2 values for 3 members"),
    (lambda r: [*_runs(r), "--how", "greedy", "--weights", "1,1,1"], "does not apply to --how greedy"),
    (lambda r: [_runs(r)[0], *_runs(r, saved_model=False)], "has no saved model; rerun it with `harness run"),
    (lambda r: [_runs(r)[0], *_runs(r, method="zero-shot", saved_model=False, model="tiny-llama")],
     "trained no weights"),
    (lambda r: [_runs(r)[0], *_runs(r, model="tiny-llama")], "differ in base model"),
    (lambda r: [*_runs(r)[:2], *_runs(r, method="lora")], "differ in method family"),
    (lambda r: [_runs(r, method="lora")[0], _runs(r, "tiny-similarity", method="lora")[0]],
     "runs of different tasks"),
    (lambda r: [_runs(r, method="lora")[0], _runs(r, "tiny-similarity", method="lora")[0], "--multi-task", "--how",
                "greedy"], "does not apply to --multi-task"),
    (lambda r: [*_runs(r)[:2], "--multi-task"], "--multi-task merges runs of at least two tasks"),
    (_as_if_quantized, "trained on a quantized base (--quantize-base 4bit)"),
]


@pytest.mark.parametrize("make_args, message", BAD)
def test_bad_input_is_one_line_exit_2_and_records_nothing(results, capsys, make_args, message):
    args = make_args(results)
    before = _snapshot(results)
    assert main(["merge", "--results", str(results), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert _snapshot(results) == before
