"""A fuzzer for bad input: generated option values and YAML documents for `run`, `sweep`, `tasks validate`,
`leaderboard`, `regress`, `ensemble` and `merge`, on the tests' tiny tasks and real recorded runs, through the checking paths only
(`run` stops where training would start; `sweep` plans with --dry-run).

Whatever is generated: no traceback, an exit code of 0, 1 or 2, a refusal is exactly one `error:` line, and
no file of an existing results folder changes. The seed and example counts are fixed, so CI time is bounded;
`HARNESS_FUZZ=long` runs 20 times as many examples per command, and `HARNESS_FUZZ_COLLECT=1` lists every
finding instead of stopping at the first (how the before/after counts in the notes were made).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from user_tasks import write_user_tasks

import harness.cli.run as run_command
from harness.cli.main import main
from harness.spec import RANGES

REPO = Path(__file__).resolve().parents[1]
RECORDED = ("sst2", "46e9a4e6b162cb0d")  # a real run committed under results/
SECOND = "5f2607dbee972a75"  # the same configuration's seed 1: with RECORDED, members of an ensemble
EXAMPLES = 100 * (20 if os.environ.get("HARNESS_FUZZ") == "long" else 1)
COLLECT = os.environ.get("HARNESS_FUZZ_COLLECT") == "1"
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
FINDINGS: Counter = Counter()
ORIGINAL: dict[str, str] = {}  # the world's recorded files as copied in: no command may change them
GENERATED: Counter = Counter()

# -- values: numbers at and past every edge, text of every kind, nothing ---------------------------------
numbers = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, -1, 1, 2**31, 2**32, 2**32 - 1, 1e30, 1e-30, 0.5, 1.0]))
texts = st.one_of(st.text(max_size=30), st.sampled_from(["", " ", "nan", "inf", "-0", "1e3", "0x10", "1,2", "٣",
                                                         "\x00", "a" * 500, "../..", "~", "*", "all", "none"]))
scalars = st.one_of(numbers, texts, st.booleans(), st.none())
yaml_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.one_of(texts, numbers), inner,
                                                                            max_size=4)), max_leaves=12)

NUMERIC_RUN_FLAGS = [f"--{name.replace('_', '-')}" for name in RANGES] + [
    "--lora-r", "--lora-alpha", "--lora-dropout", "--checkpoint-every", "--checkpoint-minutes"]


@pytest.fixture(scope="module")
def world(tmp_path_factory, data_dir):
    """Tasks of the tests' own, and a results folder holding a copy of one real recorded run."""
    root = tmp_path_factory.mktemp("fuzz")
    tasks = write_user_tasks(root / "my_tasks")
    results = root / "results" / RECORDED[0]
    results.mkdir(parents=True)
    for run_id in (RECORDED[1], SECOND):
        for suffix in (".json", ".predictions.jsonl.gz"):
            shutil.copy(REPO / "results" / RECORDED[0] / f"{run_id}{suffix}", results)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_TASKS_PATH", str(tasks))
        patch.setenv("HARNESS_DATA_DIR", str(data_dir))
        patch.chdir(root)
        patch.setattr(run_command, "execute", _no_training)
        ORIGINAL.update(_digests(Path("results")))
        yield root


class _Hung(Exception):
    """An invocation ran past HUNG_SECONDS: it planned or computed something enormous instead of refusing it."""


HUNG_SECONDS = 120  # planning the largest grid allowed (1000 seeds) takes about 8 s of CPU


def _hung(signum, frame):
    raise _Hung


class _Planned(Exception):
    """Raised where `harness run` would start training: every check before it has passed."""


def _no_training(*args, **kwargs):
    raise _Planned


def _digests(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _invoke(command: str, argv: list[str], capsys) -> None:
    """Run `harness ARGV` and hold it to the promise; in collecting mode, count what broke it instead."""
    GENERATED[command] += 1
    before = _digests(Path("results"))
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.setitimer(signal.ITIMER_REAL, HUNG_SECONDS)
    try:
        code = main(argv)
    except _Planned:
        code = 0
    except _Hung:
        _finding(command, f"hung: no answer in {HUNG_SECONDS} s", argv)
        return
    except Exception as exc:  # a traceback: a bug
        _finding(command, f"traceback {type(exc).__name__}: {exc}", argv)
        return
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    if code not in (0, 1, 2):
        _finding(command, f"exit {code}", argv)
    elif code == 2 and (len(lines) != 1 or not lines[0].startswith("error: ")):
        _finding(command, f"refusal not one error line: {err[:300]!r}", argv)
    after = _digests(Path("results"))  # an ensemble may add its record; nothing already there may change,
    # except that --force combines again what an earlier example recorded (the world's own records stay)
    changed = [path for path, digest in before.items() if after.get(path) != digest]
    if any(path in ORIGINAL or "--force" not in argv for path in changed):
        _finding(command, "a recorded file changed", argv)


def _finding(command: str, what: str, argv: list[str]) -> None:
    if COLLECT:
        kind = f"{command}: {what.split(':')[0]}"
        FINDINGS[kind] += 1
        if FINDINGS[kind] == 1:  # the first of each kind, with the file it read, for the record
            files = {name: Path(name).read_text(encoding="utf-8", errors="replace")[:300]
                     for name in ("sweep.yaml", "view.yaml") if name in argv}
            sys.__stderr__.write(f"\nfinding {kind}: {what[:300]} argv={argv!r} files={files!r}\n")
        return
    pytest.fail(f"harness {command}: {what} for argv {argv!r}")


def _dump(document) -> str:
    try:
        return yaml.safe_dump(document, allow_unicode=True)
    except yaml.YAMLError:
        return str(document)


@FUZZ
@given(flag=st.sampled_from(NUMERIC_RUN_FLAGS), value=st.one_of(numbers.map(str), texts))
def test_fuzz_run_options(world, capsys, flag, value):
    method = "lora" if flag.startswith("--lora") else "full"
    _invoke("run", ["run", "--model", "minilm", "--task", "tiny-sentiment", "--method", method, "--quiet",
                    "--results", "results", flag, value], capsys)


@FUZZ
@given(flag=st.sampled_from([*NUMERIC_RUN_FLAGS, "--seeds", "--methods", "--tasks", "--models", "--perturb"]),
       value=st.one_of(numbers.map(str), texts))
def test_fuzz_sweep_flags(world, capsys, flag, value):
    methods = "lora" if flag.startswith("--lora") else "full"
    argv = ["sweep", "--tasks", "tiny-sentiment", "--methods", methods, "--results", "results", "--dry-run"]
    _invoke("sweep", [*argv, flag, value] if flag not in argv else [*argv[:argv.index(flag) + 1], value,
                                                                      *argv[argv.index(flag) + 2:]], capsys)


SWEEP_KEYS = ["models", "methods", "tasks", "seeds", "train_limit", "eval_limit", "max_length", "training",
              "perturb", "pooling", "fold"]


@FUZZ
@given(document=st.dictionaries(st.one_of(st.sampled_from(SWEEP_KEYS), texts), yaml_values, max_size=6)
       | yaml_values, raw=st.booleans(), text=st.text(max_size=200))
def test_fuzz_sweep_files(world, capsys, document, raw, text):
    if isinstance(document, dict):
        document = {"tasks": ["tiny-sentiment"], "methods": ["full"], **document}
    Path("sweep.yaml").write_text(text if raw else _dump(document), encoding="utf-8")
    _invoke("sweep", ["sweep", "--file", "sweep.yaml", "--results", "results", "--dry-run"], capsys)


TASK_KEYS = ["name", "kind", "fields", "labels", "metrics", "headline", "data", "splits", "max_length", "prompts",
             "label_names", "drop_labels", "score_range", "aliases", "hub"]


@FUZZ
@given(changes=st.dictionaries(st.one_of(st.sampled_from(TASK_KEYS), texts), yaml_values, max_size=3),
       raw=st.booleans(), text=st.text(max_size=200))
def test_fuzz_task_files(world, capsys, changes, raw, text):
    base = yaml.safe_load((world / "my_tasks" / "sentiment.yaml").read_text(encoding="utf-8"))
    path = world / "my_tasks" / "fuzzed.yaml"
    path.write_text(text if raw else _dump({**base, **changes}), encoding="utf-8")
    try:
        _invoke("tasks validate", ["tasks", "validate", str(path)], capsys)
    finally:
        path.unlink()


VIEW_KEYS = ["name", "title", "runs", "rows", "columns", "sort", "plots", "description", "aggregate"]


@FUZZ
@given(changes=st.dictionaries(st.one_of(st.sampled_from(VIEW_KEYS), texts), yaml_values, max_size=3),
       fmt=st.sampled_from(["terminal", "markdown", "csv", "json", "html"]), raw=st.booleans(),
       text=st.text(max_size=200))
def test_fuzz_leaderboard_views(world, capsys, changes, fmt, raw, text):
    base = {"name": "fuzzed", "columns": [{"task": "sst2"}, {"cost": "trainable_parameters"}]}
    Path("view.yaml").write_text(text if raw else _dump({**base, **changes}), encoding="utf-8")
    _invoke("leaderboard", ["leaderboard", "view.yaml", "--results", "results", "--format", fmt,
                            "--results", "board.out"], capsys)


@FUZZ
@given(flag=st.sampled_from(["--alpha", "--n-boot", "--tolerance", "--task", "--method", "--model",
                             "--allow-missing", "--view", "--baseline", "--candidate"]),
       value=st.one_of(numbers.map(str), texts, st.sampled_from(["accuracy=0.01", "accuracy=nan", "=", "a=b=c"])))
def test_fuzz_regress_options(world, capsys, flag, value):
    argv = {"--baseline": "results", "--candidate": "results"}
    argv[flag] = value
    _invoke("regress", ["regress", *[item for pair in argv.items() for item in pair], "--results", "results"],
            capsys)


FUSION_FLAGS = ["--weights", "--seeds", "--settings", "--n-boot", "--task", "--model", "--method"]


@FUZZ
@given(flag=st.sampled_from([*FUSION_FLAGS, "--combine", "RUN"]),
       value=st.one_of(numbers.map(str), texts, st.sampled_from(["1,1", "1,-1", "0,0", "train_limit=2000", "sst2"])))
def test_fuzz_ensemble_options(world, capsys, flag, value):
    members = [value, SECOND] if flag == "RUN" else ["--task", "sst2", "--seeds", "2"]
    extra = [] if flag == "RUN" or flag in ("--task", "--seeds") else [flag, value]
    if flag in ("--task", "--seeds"):
        members = {"--task": ["--task", value, "--seeds", "2"], "--seeds": ["--task", "sst2", "--seeds", value]}[flag]
    _invoke("ensemble", ["ensemble", *members, *extra, "--results", "results", "--force"], capsys)


@FUZZ
@given(flag=st.sampled_from([*FUSION_FLAGS, "--how", "--scale", "--density", "--seed"]),
       value=st.one_of(numbers.map(str), texts, st.sampled_from(["ties", "dare", "greedy", "1,1", "0.2"])))
def test_fuzz_merge_options(world, capsys, flag, value):
    how = [] if flag == "--how" else ["--how", "ties" if flag in ("--scale", "--density") else "uniform"]
    _invoke("merge", ["merge", RECORDED[1], SECOND, *how, flag, value, "--results", "results"], capsys)


def test_fuzz_summary(capsys):
    """Last in the file: in collecting mode, the counts (printed with -s)."""
    if COLLECT:
        with capsys.disabled():
            print(f"\ngenerated per command: {dict(GENERATED)}\nfindings: {dict(FINDINGS) or 'none'}")
    assert not FINDINGS or COLLECT
