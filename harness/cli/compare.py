"""`harness compare`: methods against a reference (full fine-tuning) over seeds, with paired tests and costs.

Runs what is missing (a sweep over the grid), then for each model and task prints the
table and the verdicts, and writes them as markdown with a Pareto plot of score against
trainable parameters.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import click

from harness.cli import options
from harness.cli.backend_options import backend_from_options, backend_options
from harness.cli.grid_options import grid_from_options, grid_options
from harness.compare import (
    build_comparison,
    markdown,
    plot_pareto,
    rich_table,
    verdict_sentences,
)
from harness.compare.attacks import attacked_everywhere, build_attack_comparison
from harness.compare.attacks_render import attack_markdown, rich_attack_table
from harness.compare.grouping import group_methods
from harness.compare.remedies import build_remedy_comparison
from harness.compare.remedies_render import (
    plot_remedies,
    remedy_markdown,
    rich_remedy_tables,
)
from harness.errors import HarnessError, RunFailed
from harness.record.store import ResultStore
from harness.remedy.settings import describe
from harness.sweep import MethodEntry, check_data, plan_grid, run_grid
from harness.tasks.fingerprint import data_change
from harness.track.report import log_report
from harness.train.progress import stderr_console

DEFAULT_METHODS = "full,lora"


@click.command()
@grid_options
@click.option("--reference", default="full", show_default=True,
              help="Method (or row label) every other is tested against; with --distill-from, by default the same "
                   "student trained without the teacher (compare runs it too, and shows the teacher).")
@options.alpha
@options.n_boot
@click.option("--report-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Where the markdown and PNG go (default: <results>/compare).")
@click.option("--no-run", is_flag=True, help="Compare what is recorded; run nothing.")
@click.option("--with", "extra_runs", help="Also these recorded runs, comma-separated ids (an ensemble or merge from "
                                           "`harness ensemble`/`merge`), paired with the reference on the seeds "
                                           "they share (an ensemble or merge is seed 0).")
@options.device
@options.data_dir
@options.tasks_dirs
@options.results_dir
@options.in_process
@options.quiet
@options.tracker_options
@backend_options
def compare(reference, alpha, n_boot, report_dir, no_run, extra_runs, device, data_dir, tasks_dirs, output, in_process, quiet,
            **flags):
    """Compare fine-tuning methods with a reference method on the same tasks and seeds."""
    trackers = options.tracker_request_from(flags)  # the runs compare makes log to them (recorded ones are not)
    backend = backend_from_options(flags, output)  # where missing runs execute; None: here
    grid = grid_from_options(flags, default_methods="full" if flags.get("remedies") else DEFAULT_METHODS)
    remedies = bool(grid.remedies)  # remedies (flag or sweep file) against no remedy, instead of methods against full
    if remedies:
        planned = plan_grid(grid, list(tasks_dirs), results=output, data_dir=data_dir)
        reference = _remedy_reference(planned, reference)
    else:
        if reference not in [m.name for m in grid.methods]:
            grid.methods.insert(0, MethodEntry(reference))
        planned = plan_grid(grid, list(tasks_dirs), results=output, data_dir=data_dir)
    taught = grid.run_settings.get("distill") is not None
    if taught:  # the same students without a teacher, so that the teacher's help is tested
        untaught = replace(grid, run_settings={k: v for k, v in grid.run_settings.items() if k != "distill"})
        planned += plan_grid(untaught, list(tasks_dirs), results=output, data_dir=data_dir)
    if not no_run:
        check_data(planned, data_dir)
    store = ResultStore(output)
    failed = []
    if not no_run:
        result = run_grid(planned, output=output, data_dir=data_dir, device=None if device == "auto" else device,
                          show_progress=not quiet, isolate=not in_process, backend=backend, trackers=trackers)
        failed = result.failed
    report_dir = report_dir or store.root / "compare"
    extra = _extra_records(store, ",".join(filter(None, [extra_runs, *_teachers(planned)])))
    for model in grid.models:
        for task in dict.fromkeys(run.task.name for run in planned):
            runs = [run for run in planned if run.spec.model == model and run.task.name == task]
            ids = [run.spec.run_id(run.task.hash) for run in runs]
            recorded = [run_id for run_id in ids if store.exists(task, run_id)]
            records = [_load_record(store, task, run_id) for run_id in recorded]
            # a record made on other data files is no result for the data there now
            records = [record for record in records if not data_change(record, runs[0].task, data_dir)]
            records += [record for record in extra if record["task"]["name"] == task]
            recorded = [record["run_id"] for record in records]
            if len([r for r in recorded if r in ids]) < len(ids):
                stderr_console.print(f"{model} · {task}: {len(ids) - len(recorded)} of {len(ids)} runs are not "
                                     "recorded on this data" + (" (--no-run)" if no_run else " (failed)") +
                                     "; comparing the rest")
            predictions = {run_id: store.load_predictions(task, run_id) for run_id in recorded}
            stem = re.sub(r"[^\w.-]+", "_", f"{model}-{task}")
            if taught and reference == "full":  # not chosen: the student without a teacher
                reference = _untaught_label(records, reference)
            if attacked_everywhere(records):  # judged under attack too, beside clean and random noise
                _report_attacks(store, task, records, predictions, reference, alpha, n_boot, report_dir, stem)
            if remedies:
                perturbed = {run_id: store.load_perturbed(task, run_id) for run_id in recorded}
                _report_remedies(records, predictions, perturbed, reference, alpha, n_boot, report_dir, stem)
                continue
            comparison = build_comparison(records, predictions, reference=reference, alpha=alpha, n_boot=n_boot)
            plot = plot_pareto(comparison, report_dir / f"{stem}.png")
            text = markdown(comparison) + f"\n![score against trainable parameters]({plot.name})\n"
            report = report_dir / f"{stem}.md"
            report.parent.mkdir(parents=True, exist_ok=True)
            report.write_text(text, encoding="utf-8")
            _print(comparison, report, plot)
            log_report(trackers, f"compare-{stem}", [report, plot],  # with --log-with: the report and plot
                       {"model": model, "task": task, "reference": reference, "alpha": alpha, "n_boot": n_boot,
                        "runs": recorded})
    if failed:
        raise RunFailed(f"{len(failed)} run(s) failed: " + " | ".join(f"{label}: {error}" for label, error in failed))
    return 0


def _remedy_reference(planned, reference: str) -> str:
    """The reference of a remedy comparison: as chosen, else the runs without a remedy (or the first listed)."""
    if reference != "full":
        return reference
    first = next((run for run in planned if not run.spec.remedy), planned[0])
    if len({describe(run.spec.remedy) for run in planned}) == 1:  # one remedy: its rows carry no remedy label
        return first.spec.method
    return f"{first.spec.method} ({describe(first.spec.remedy)})"


def _report_remedies(records, predictions, perturbed, reference, alpha, n_boot, report_dir: Path, stem: str) -> None:
    from rich.console import Console

    comparison = build_remedy_comparison(records, predictions, perturbed, reference=reference, alpha=alpha,
                                         n_boot=n_boot)
    plot = plot_remedies(comparison, report_dir / f"{stem}-remedies.png")
    report = report_dir / f"{stem}-remedies.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(remedy_markdown(comparison) + f"\n![clean against worst-case score]({plot.name})\n",
                      encoding="utf-8")
    console = Console()
    console.width = max(console.width, 200)
    for table in rich_remedy_tables(comparison):
        console.print(table)
    console.print(f"markdown: {report}\nplot: {plot}", highlight=False)


def _report_attacks(store, task, records, predictions, reference, alpha, n_boot, report_dir: Path, stem: str) -> None:
    from rich.console import Console

    ids = [record["run_id"] for record in records]
    comparison = build_attack_comparison(
        records, predictions, {run_id: store.load_perturbed(task, run_id) for run_id in ids},
        {run_id: store.load_attacked(task, run_id) for run_id in ids}, reference=reference, alpha=alpha, n_boot=n_boot)
    report = report_dir / f"{stem}-attacks.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(attack_markdown(comparison), encoding="utf-8")
    console = Console()
    console.width = max(console.width, 200)
    console.print(rich_attack_table(comparison))
    console.print(f"markdown: {report}", highlight=False)


def _teachers(planned) -> list[str]:
    return list(dict.fromkeys(run.spec.distill["teacher"] for run in planned if run.spec.distill))


def _untaught_label(records: list[dict], reference: str) -> str:
    """The label of the students trained without a teacher (the reference of a distillation comparison)."""
    teachers = {(r["spec"].get("distill") or {}).get("teacher") for r in records}
    for group in group_methods(records):
        first = next(iter(group.by_seed.values()))
        if group.method == reference and not first["spec"].get("distill") and first["run_id"] not in teachers:
            return group.label
    return reference


def _extra_records(store: ResultStore, run_ids: str | None) -> list[dict]:
    """The records --with names (each id exact or a unique prefix)."""
    records = []
    for run_id in [part.strip() for part in (run_ids or "").split(",") if part.strip()]:
        found = store.find(run_id)
        if len(found) != 1:
            raise HarnessError(f"--with {run_id}: {'no run' if not found else f'{len(found)} runs'} recorded in "
                               f"{store.root} under that id; give one recorded run id (or more of it)")
        records.append(_load_record(store, found[0].parent.name, found[0].stem))
    return records


def _load_record(store: ResultStore, task: str, run_id: str) -> dict:
    path = store.record_path(task, run_id)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        record, problem = None, type(exc).__name__
    else:
        problem = "not a run record"
    if not isinstance(record, dict) or "metrics" not in record:
        raise HarnessError(f"run record {path} cannot be read ({problem}); `harness results check` says what is "
                           "wrong with it: move it away and run the comparison again to redo that run")
    return record


def _print(comparison, report: Path, plot: Path) -> None:
    from rich.console import Console

    console = Console()
    console.width = max(console.width, 200)  # the table has 14 columns: let it wrap in a log, not truncate
    console.print(rich_table(comparison))
    for sentence in verdict_sentences(comparison):
        console.print(f"- {sentence}", highlight=False)
    console.print(f"markdown: {report}\nplot: {plot}", highlight=False)
