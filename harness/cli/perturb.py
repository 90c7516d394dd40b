"""`harness perturb`: see what a perturbation does to a task's examples before trusting its scores."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from harness.cli import options
from harness.cli.range_type import ranged
from harness.perturb import get, load_plugins, names
from harness.ranges import Range
from harness.robustness import perturbed_splits
from harness.tasks import kinds, load_split, load_task


@click.command()
@click.option("--task", help="Task whose examples are perturbed.")
@click.option("--name", "perturbation", default="all", show_default=True,
              help="Perturbation(s): 'all' or NAME[:SEVERITY],...")
@click.option("--split", help="Split to show (default: the task's headline split).")
@click.option("-n", "--examples", "count", type=ranged(Range(int, 1, 10_000, meaning="examples to show")), default=5, show_default=True, help="How many examples.")
@options.seed
@click.option("--list", "list_all", is_flag=True, help="List every perturbation and what it does.")
@options.perturb_modules
@options.data_dir
@options.tasks_dirs
def perturb(task, perturbation, split, count, seed, list_all, perturb_modules, data_dir, tasks_dirs):
    """Print clean and perturbed examples of TASK side by side (or --list the perturbations)."""
    load_plugins(*perturb_modules)
    console = Console()
    if list_all or not task:
        console.print(_catalogue())
        return
    task_def = load_task(task, list(tasks_dirs))
    split = split or task_def.headline_split
    examples = load_split(task_def, split, data_dir)[:count]
    train = load_split(task_def, task_def.train_split, data_dir) if _needs_train(perturbation) else []
    for name, (severity, perturbed) in perturbed_splits(perturbation, task_def, examples, train, seed).items():
        table = Table(title=f"{name} (severity {severity:g}) · {task_def.name} {split} · seed {seed}",
                      title_justify="left", show_lines=True)
        table.add_column("id", no_wrap=True)
        table.add_column("clean")
        table.add_column("perturbed")
        for clean, messy in zip(examples, perturbed):
            table.add_row(clean.id, _show(clean, task_def), _show(messy, task_def))
        console.print(table)


def _needs_train(spec: str) -> bool:
    wanted = [item.split(":")[0].strip() for item in spec.split(",")]
    return any(name == "all" or get(name).needs_training_data for name in wanted)


def _show(example, task) -> str:
    if task.kind == kinds.TOKEN_CLASSIFICATION:
        return " ".join(word if task.labels[tag] == "O" else f"[{word}]{task.labels[tag]}"
                        for word, tag in zip(example.words, example.tags))
    return example.text if example.text_pair is None else f"{example.text}\n⟂ {example.text_pair}"


def _catalogue() -> Table:
    table = Table(title="perturbations (NAME[:SEVERITY] or a family in --perturb and --augment; severity in (0, 1]; "
                        "* only when named, never in all)", title_justify="left")
    for column in ("name", "family", "language", "NER", "default severity", "what it does", "source"):
        table.add_column(column)
    for name in names():
        cls = get(name)
        table.add_row(name + ("" if cls.in_all else " *"), cls.family, cls.language,
                      "yes" if cls.why_not(kinds.TOKEN_CLASSIFICATION) is None else "no",
                      f"{cls.default_severity:g}", cls.description, getattr(cls, "source", ""))
    return table
