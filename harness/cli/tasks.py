"""`harness tasks`: list the task definitions and check new ones."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from harness.cli import options
from harness.tasks import list_tasks, validate_task_file
from harness.tasks.inspect import inspect_splits


@click.group(invoke_without_command=True)
@options.tasks_dirs
@click.pass_context
def tasks(ctx, tasks_dirs):
    """List every task and where it came from (or `tasks validate FILE`)."""
    if ctx.invoked_subcommand is not None:
        return
    table = Table(title="tasks", title_justify="left")
    for column in ("name", "suite", "kind", "metrics (headline first)", "from"):
        table.add_column(column)
    for info in list_tasks(list(tasks_dirs)):
        metrics = [info.headline] + [m for m in info.metrics if m != info.headline]
        origin = info.origin + (" (overrides builtin)" if info.overrides else "")
        name = info.name + (f" ({', '.join(info.aliases)})" if info.aliases else "")
        table.add_row(name, info.suite, info.kind, ", ".join(metrics), origin)
    Console().print(table)


@tasks.command()
@click.argument("file", type=click.Path(path_type=Path))
@options.data_dir
def validate(file: Path, data_dir: Path | None):
    """Check a task YAML file and its data (every split read as a run reads it) and say what is wrong."""
    task = validate_task_file(file)
    for report in inspect_splits(task, data_dir):
        if report.examples is None:
            click.echo(f"  {report.split}: not read ({report.rule}; give --data-dir to read a local copy)")
            continue
        unseen = f"; no example of label {', '.join(report.unseen_labels)}" if report.unseen_labels else ""
        click.echo(f"  {report.split}: {report.examples} examples from {report.path} ({report.rule}){unseen}")
    click.echo(f"{file}: ok: task {task.name} ({task.kind}, {task.num_labels} labels, "
               f"metrics {', '.join(task.metrics)}, hash {task.hash[:12]})")
