"""Errors that the CLI turns into one clear line and an exit status."""

from __future__ import annotations

import errno
import os

# errno -> the words a user needs (strerror's own words for the rest)
_WRITE_PROBLEMS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EFBIG: "file too large (a file size limit, e.g. `ulimit -f`?)",
}


class InputError(Exception):
    """Bad input or usage (empty text, unknown language, malformed file): the CLI exits with status 2."""

    exit_code = 2


def describe_os_error(error: OSError, path: str | os.PathLike | None = None) -> str:
    """One line for an OSError: the path it concerns, then what went wrong."""
    problem = _WRITE_PROBLEMS.get(error.errno) or error.strerror or str(error) or type(error).__name__
    where = path if path is not None else error.filename
    return f"{os.fsdecode(where)}: {problem}" if where is not None else problem


class WriteError(InputError):
    """A file could not be written (full disk, read-only directory, special file, size limit)."""

    @classmethod
    def from_os_error(cls, error: OSError, path: str | os.PathLike) -> WriteError:
        return cls(f"cannot write {describe_os_error(error, path)}")


class NotSupportedError(InputError):
    """A request that this kind of model cannot answer (hidden states of an n-gram model): exit status 2."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__
