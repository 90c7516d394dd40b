"""The catalogue's cases for the tools around a run (tests/test_bad_input_catalogue.py joins them to CASES):
evaluate metrics named in a task file, experiment trackers, results export."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from bad_input_cases import TASK, Case, World, cmd, hub_offline, refuse_writes, run, task_run, with_setup
from hf_metric_modules import TAG_FEATURES, metric_source

from harness.errors import BAD_INPUT

def evaluate_run(name: str, source: str | None = None) -> Callable[[World], list[str]]:
    """`harness run` of the tiny task naming `evaluate:./metrics/NAME`, a module holding `source` (None: no file)."""
    def build(w: World) -> list[str]:
        if source is not None:
            (w.tasks / "metrics").mkdir(exist_ok=True)
            (w.tasks / "metrics" / name).write_text(source, encoding="utf-8")
        return task_run(("metrics: [accuracy, f1]", f'metrics: [accuracy, f1, "evaluate:./metrics/{name}"]'))(w)
    return build


def read_only_folder(w: World) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    (w.root / "locked").mkdir()
    (w.root / "locked").chmod(0o555)


def refuse_new_files(w: World) -> None:
    """What a folder without write permission does to an atomic writer, for machines where the tests run as root."""
    import tempfile

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    w.monkeypatch.setattr(tempfile, "mkstemp", denied)


def export(*args: str) -> Callable[[World], list[str]]:
    return cmd("results", "export", *args)


def no_mlflow(w: World) -> None:
    """mlflow as if its extra were not installed: importing it fails."""
    import sys
    w.monkeypatch.setitem(sys.modules, "mlflow", None)


TOOL_CASES = [
    # -- evaluate metrics named in a task file -------------------------------------------------------
    Case("evaluate-metric-file-missing", evaluate_run("nowhere.py"), BAD_INPUT, "nowhere.py", "fix the path"),
    Case("evaluate-metric-syntax-error", evaluate_run("broken_syntax.py", "def broken(:\n"), BAD_INPUT,
         "broken_syntax.py", "fix the module"),
    Case("evaluate-metric-not-a-metric", evaluate_run("not_a_metric.py", "x = 1\n"), BAD_INPUT, "not_a_metric.py",
         "it must define an evaluate.Metric"),
    Case("evaluate-hub-name-offline", with_setup(hub_offline, task_run(
        ("metrics: [accuracy, f1]", 'metrics: [accuracy, "evaluate:accuracy"]'))), BAD_INPUT,
         "the Hugging Face hub is offline", "name it as a path, e.g. evaluate:./accuracy"),
    Case("evaluate-metric-returns-none", evaluate_run("gives_none.py", metric_source("        return None")),
         BAD_INPUT, "returned no number", "must return a dict"),
    Case("evaluate-metric-returns-empty-dict", evaluate_run("gives_empty.py", metric_source("        return {}")),
         BAD_INPUT, "returned no number", "must return a dict"),
    Case("evaluate-metric-returns-a-string", evaluate_run(
        "gives_text.py", metric_source("        return {'gives_text': 'high'}")), BAD_INPUT, "returned no number",
         "must return a number"),
    Case("evaluate-metric-of-another-kind", evaluate_run(
        "tag_metric.py", metric_source("        return {'tag_metric': 1.0}", features=TAG_FEATURES)), BAD_INPUT,
         "takes tag strings per sentence", "name a metric of the task's kind"),
    # -- experiment trackers (refused before any model loads) ---------------------------------------------
    Case("tracker-unknown", run("--log-with", "tensorbord"), BAD_INPUT, "tensorbord",
         "did you mean tensorboard? (valid: mlflow, tensorboard, wandb)"),
    Case("tracker-unknown-in-sweep", cmd("sweep", "--tasks", TASK, "--methods", "full", "--dry-run",
                                         "--log-with", "mlflow,wandbb"), BAD_INPUT, "wandbb", "did you mean wandb"),
    Case("tracker-extra-missing", with_setup(no_mlflow, run("--log-with", "mlflow")), BAD_INPUT,
         "mlflow package is not installed", "pip install 'harness[mlflow]'"),
    Case("tracker-folder-is-a-file", with_setup(lambda w: w.write("taken", "x"),
                                                run("--log-with", "tensorboard", "--log-dir", "taken")),
         BAD_INPUT, "tracker folder taken is a file", "pass --log-dir DIR"),
    Case("tracker-folder-unwritable", run("--log-with", "tensorboard", "--log-dir", "/proc/trackers"), BAD_INPUT,
         "tracker folder /proc/trackers is not writable", "pass --log-dir DIR"),
    Case("tracker-folder-refuses-writes", with_setup(refuse_writes, run("--log-with", "tensorboard", "--seed", "1")),
         BAD_INPUT, "tracker folder tracking is not writable (Permission denied)", "pass --log-dir DIR"),
    # -- results export: where it writes, in what format, from what ------------------------------------
    Case("export-format-unknown", export("--format", "xlsx", "--output", "runs.xlsx"), BAD_INPUT, "'xlsx'",
         "'jsonl', 'csv', 'parquet'"),
    Case("export-format-not-in-name", export("--output", "runs.xlsx"), BAD_INPUT, "runs.xlsx", "pass --format"),
    Case("export-format-mismatch", export("--format", "csv", "--output", "runs.parquet"), BAD_INPUT,
         "--format csv does not match runs.parquet", "drop --format"),
    Case("export-output-is-a-folder", export("--format", "csv", "--output", "results"), BAD_INPUT,
         "cannot write results", "choose a file path"),
    Case("export-output-parent-is-a-file", with_setup(lambda w: w.write("taken", "x"),
                                                      export("--output", "taken/runs.csv")),
         BAD_INPUT, "taken/runs.csv", "choose another path"),
    Case("export-output-folder-read-only", with_setup(read_only_folder, export("--output", "locked/runs.csv")),
         BAD_INPUT, "locked/runs.csv (Permission denied)", "choose another path"),
    Case("export-output-folder-refuses-files", with_setup(refuse_new_files, export("--output", "runs.parquet")),
         BAD_INPUT, "runs.parquet (Permission denied)", "choose another path"),
    Case("export-results-missing", export("--results", "no-such-results", "--output", "runs.csv"), BAD_INPUT,
         "no-such-results does not exist", "--results DIR"),
    Case("export-results-empty", with_setup(lambda w: (w.root / "empty").mkdir(),
                                            export("--results", "empty", "--output", "runs.csv")), BAD_INPUT,
         "no run records in empty", "pass --results DIR"),
    Case("export-tolerates-corrupt-record", with_setup(World.break_record, export("--output", "runs.jsonl")), 0,
         "0badc0ffee000000.json", "(1 runs) to runs.jsonl", warnings=1),
]
