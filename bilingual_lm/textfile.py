"""Reading text files as UTF-8, with one clear error line for every way it can fail, and their lines."""

from __future__ import annotations

from pathlib import Path

from bilingual_lm.errors import InputError


def read_text_file(path: str | Path) -> str:
    """The whole file as UTF-8 text, or an InputError naming the problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not valid UTF-8 (byte {error.start})") from None


def text_lines(text: str) -> list[str]:
    """The lines of `text`, split at "\\n" (and "\\r\\n") only.

    `str.splitlines` also splits at U+2028, U+2029, U+0085 and other separators that can sit inside one
    line of a file; a file line is one text here, whatever it holds.
    """
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
