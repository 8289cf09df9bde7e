"""The `blm` command line: a thin layer over the library, one module per command."""

from __future__ import annotations

import os
import sys
from importlib import import_module

import click

from bilingual_lm import __version__
from bilingual_lm.errors import InputError, describe_os_error

DEBUG_VARIABLE = "BLM_DEBUG"  # set to 1 for the full traceback of an unexpected error

# command name -> "module:attribute"; modules load only when their command runs.
COMMANDS = {
    "segment": "bilingual_lm.cli.segment:segment",
    "score": "bilingual_lm.cli.score:score",
    "ngram": "bilingual_lm.cli.ngram:ngram",
    "eval": "bilingual_lm.cli.eval:eval_command",
    "notes": "bilingual_lm.cli.notes:notes",
    "cache": "bilingual_lm.cli.cache:cache",
    "lens": "bilingual_lm.cli.lens:lens",
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
    """Entry point: every error is one line on stderr, never a traceback.

    Exit status 2: bad input, or a file that cannot be read or written (any OSError); 1: a bug in blm,
    with a pointer to report it (set BLM_DEBUG=1 for the traceback); 130: interrupted.
    """
    try:
        _check_argv(sys.argv[1:])
        cli.main(standalone_mode=False)
        sys.stdout.flush()
    except click.exceptions.Exit as done:
        _exit(done.exit_code)
    except click.UsageError as error:
        hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
        _fail(f"error: {_one_line(error.format_message())}{hint}", error.exit_code)
    except click.ClickException as error:
        error.show()
        _exit(error.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        _fail("interrupted", 130)
    except InputError as error:
        _fail(f"error: {error}", error.exit_code)
    except BrokenPipeError:  # the reader went away (`blm segment ... | head`): stop quietly
        _exit(141)
    except OSError as error:
        _fail(f"error: {describe_os_error(error)}", 2)
    except (MemoryError, RecursionError) as error:
        _fail(f"error: the input is too large for this command ({type(error).__name__}); give a shorter one", 2)
    except Exception as error:  # a bug: say so, and where to report it
        if os.environ.get(DEBUG_VARIABLE):
            raise
        _fail(f"internal error ({type(error).__name__}: {_one_line(error)}); this is a bug in blm "
              f"{__version__}: please report it to the maintainers with the command you ran "
              f"(rerun with {DEBUG_VARIABLE}=1 for the traceback)", 1)
    _exit(0)


def _check_argv(args: list[str]) -> None:
    """Refuse arguments that are not valid UTF-8 (Python keeps their bytes as lone surrogates)."""
    for number, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InputError(f"argument {number} is not valid UTF-8 (character {error.start + 1})") from None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:300]


def _fail(message: str, code: int) -> None:
    try:
        sys.stderr.write(f"blm: {message}\n")
        sys.stderr.flush()
    except OSError:
        pass
    _exit(code)


def _exit(code: int) -> None:
    """Exit; a stdout that cannot be flushed is pointed at /dev/null first, so that Python's own flush at
    shutdown does not print a second error."""
    try:
        sys.stdout.flush()
    except OSError:
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
    sys.exit(code)
