"""`--results DIR`, the results folder, as every command takes it; apart from harness.cli.options, which imports
the spec (and torch), so that a command that only reads records (`harness results ...`) starts quickly."""

from __future__ import annotations

import functools
from pathlib import Path

import click
from click.core import ParameterSource


def results_dir(command):
    """Decorator: --results DIR, the results folder, in every command. `--output` names a file a command writes
    (leaderboard, export); as a results folder it is the old spelling: still taken, with a one-line warning."""

    @functools.wraps(command)
    def with_results(*args, output, legacy_output, **kwargs):
        if legacy_output is not None:
            if click.get_current_context().get_parameter_source("output") is ParameterSource.COMMANDLINE:
                raise click.UsageError("--output DIR is the old spelling of --results DIR: give one of them")
            click.echo(f"warning: --output {legacy_output} as a results folder is deprecated: use --results "
                       f"{legacy_output} (--output now names a file a command writes)", err=True)
            output = legacy_output
        return command(*args, output=output, **kwargs)

    with_results = click.option("--output", "legacy_output", type=click.Path(path_type=Path), default=None,
                                hidden=True)(with_results)
    return click.option("--results", "output", type=click.Path(path_type=Path), default="results",
                        envvar="HARNESS_RESULTS", show_default=True,
                        help="Results folder. Env: HARNESS_RESULTS.")(with_results)
