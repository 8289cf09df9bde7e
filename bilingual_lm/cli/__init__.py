"""The `blm` command line: a thin layer over the library, one module per command."""

from __future__ import annotations

import sys
from importlib import import_module

import click

from bilingual_lm import __version__
from bilingual_lm.errors import InputError

# command name -> "module:attribute"; modules load only when their command runs.
COMMANDS = {
    "segment": "bilingual_lm.cli.segment:segment",
    "score": "bilingual_lm.cli.score:score",
    "ngram": "bilingual_lm.cli.ngram:ngram",
    "eval": "bilingual_lm.cli.eval:eval_command",
    "notes": "bilingual_lm.cli.notes:notes",
}


class LazyGroup(click.Group):
    """A click group that imports each subcommand's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[name].split(":")
        return getattr(import_module(module_name), attribute)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="blm")
def cli() -> None:
    """bilingual-lm: chain-rule scores, cross-lingual evals and notes for Chinese and English."""


def main() -> None:
    """Entry point: bad input becomes one line on stderr and exit status 2, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("blm: aborted", err=True)
        sys.exit(130)
    except InputError as error:
        click.echo(f"blm: error: {error}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo("blm: interrupted", err=True)
        sys.exit(130)
