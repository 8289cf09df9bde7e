"""Errors that the CLI turns into one clear line and an exit status."""


class InputError(Exception):
    """Bad input or usage (empty text, unknown language, malformed file): the CLI exits with status 2."""

    exit_code = 2
