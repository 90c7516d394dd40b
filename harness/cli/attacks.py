"""`harness attacks`: list the attacks, or read a recorded run's adversarial examples beside the clean text."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from harness.attack import ATTACKS
from harness.cli import options
from harness.cli.range_type import ranged
from harness.cli.render_attack import adversarial_examples, attack_table
from harness.errors import HarnessError
from harness.ranges import Range
from harness.record.store import ResultStore
from harness.tasks import load_split, load_task


@click.command()
@click.option("--run", "run_id", help="Show this recorded run's successful attacks, clean and adversarial text.")
@click.option("--name", "attack", help="Only this attack's examples.")
@click.option("-n", "--examples", "count", type=ranged(Range(int, 1, 10_000, meaning="examples to show")), default=10,
              show_default=True, help="How many examples.")
@options.data_dir
@options.tasks_dirs
@options.results_dir
def attacks(run_id, attack, count, data_dir, tasks_dirs, output):
    """List the attacks (or, with --run, show what an attack changed in a recorded run)."""
    console = Console()
    if run_id is None:
        console.print(_catalogue())
        return
    store = ResultStore(output)
    path = store.find_one(run_id)
    record = store.load(path.parent.name, path.stem)
    if not record.get("attack"):
        raise HarnessError(f"run {record['run_id']} was not attacked; run `harness robustness --run "
                           f"{record['run_id']} --attack word,char` (saved models) or `harness run ... --attack`")
    rows = store.load_attacked(record["task"]["name"], record["run_id"])
    if attack is not None:
        known = sorted({row["attack"] for row in rows})
        if attack not in known:
            raise HarnessError(f"run {record['run_id']} has no rows of attack '{attack}' (it has {', '.join(known)})")
        rows = [row for row in rows if row["attack"] == attack]
    task = load_task(record["task"].get("path") or record["spec"]["task"], list(tasks_dirs))
    splits = {row["split"] for row in rows}
    clean = {}
    for split in splits:
        for example in load_split(task, split, data_dir):
            clean[example.id] = " ".join(example.words) if example.words is not None else (
                example.text_pair if example.text_pair is not None else example.text)
    console.print(attack_table(record))
    console.print(adversarial_examples(rows, clean, count))


def _catalogue() -> Table:
    table = Table(title="attacks (harness run --attack NAME,...; harness robustness --attack NAME,...)",
                  title_justify="left", show_lines=True)
    for column in ("name", "language", "task kinds", "what it changes", "never touches", "modelled on"):
        table.add_column(column)
    for name, attack in ATTACKS.all().items():
        table.add_row(name, attack.language, ", ".join(attack.kinds), attack.description, attack.constraints,
                      attack.modelled_on)
    return table
