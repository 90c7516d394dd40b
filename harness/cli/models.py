"""`harness models`: the short model names and whether their package is installed."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from harness.models.packaged import MODEL_ALIASES, package_dir


@click.command()
def models():
    """Short names for packaged weights (any local folder or hub id works too)."""
    table = Table(title="packaged models", title_justify="left")
    for column in ("name", "model", "package", "installed"):
        table.add_column(column)
    for alias, model in sorted(MODEL_ALIASES.all().items()):
        installed = "yes" if package_dir(model.module) is not None else f"no: {model.install}"
        table.add_row(alias, model.description, model.package, installed)
    Console().print(table)
