"""Reading text files as UTF-8, with one clear error line for every way it can fail."""

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
