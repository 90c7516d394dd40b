"""`harness` command: parses arguments and calls the Python API; nothing else lives here."""

from __future__ import annotations

import importlib
import sys

import click

from harness import __version__
from harness.errors import BAD_INPUT, HarnessError
from harness.quiet import quiet_libraries

# command name -> "module:attribute": a command's module (and what it imports: torch, peft, ...) is imported only
# when that command runs, or when `harness --help` lists every command's summary
COMMANDS = {
    "run": "run:run", "sweep": "sweep:sweep", "compare": "compare:compare", "ensemble": "ensemble:ensemble",
    "merge": "merge:merge", "regress": "regress:regress", "perturb": "perturb:perturb", "attacks": "attacks:attacks",
    "profile": "profile:profile", "robustness": "robustness:robustness", "tasks": "tasks:tasks",
    "leaderboard": "leaderboard:leaderboard", "models": "models:models", "results": "results:results",
    "verify": "verify:verify",
}


class LazyGroup(click.Group):
    """click's lazily loading group (click docs, "Lazily Loading Subcommands")."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)  # in the order above: the order `harness --help` has always shown

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands or name not in COMMANDS:
            return self.commands.get(name)
        module, attribute = COMMANDS[name].split(":")
        return getattr(importlib.import_module(f"harness.cli.{module}"), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="harness")
def cli() -> None:
    """Fine-tune, prompt and measure language models; record every run; compare the records."""


def _register() -> None:
    """Every command loaded into `cli.commands` (for code that walks them all, as the tests do)."""
    for name in COMMANDS:
        cli.add_command(cli.get_command(click.Context(cli), name), name)


def one_line(message: str) -> str:
    """The message on one line: unprintable characters (a name read from a user's file may hold any, and
    some of them end a line) as their escapes, so a terminal shows them and nothing breaks the line."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in message)


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors become one line on stderr and an exit code, never a traceback."""
    quiet_libraries()
    try:
        result = cli.main(args=argv, prog_name="harness", standalone_mode=False)
    except HarnessError as exc:
        click.echo(f"error: {one_line(str(exc))}", err=True)
        return exc.exit_code
    except click.UsageError as exc:  # click would print Usage/Try/Error lines: one line, and where to look
        where = exc.ctx.command_path if exc.ctx is not None else "harness"
        click.echo(f"error: {one_line(' '.join(exc.format_message().split()))} (see {where} --help)", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"error: {one_line(' '.join(exc.format_message().split()))}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except OSError as exc:  # a path the system refuses (too long, a loop, no permission) reached a filesystem call
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"error: {one_line(where + (exc.strerror or type(exc).__name__))}; check the path and its "
                   "permissions", err=True)
        return BAD_INPUT
    except KeyboardInterrupt:
        click.echo("interrupted: nothing was recorded for the run in progress", err=True)
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
