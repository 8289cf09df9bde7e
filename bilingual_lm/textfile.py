"""Reading text files as UTF-8, with one clear error line for every way it can fail, and their lines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bilingual_lm.errors import InputError


def unreadable(path: Path, error: OSError) -> InputError:
    """The one line for a file that cannot be opened or read."""
    if isinstance(error, FileNotFoundError):
        return InputError(f"{path}: no such file")
    return InputError(f"{path}: cannot read ({error.strerror})")


def read_text_file(path: str | Path) -> str:
    """The whole file as UTF-8 text, or an InputError naming the problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise unreadable(path, error) from None
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


def read_line_blocks(path: str | Path, block_bytes: int = 1 << 24) -> Iterator[tuple[list[str], int]]:
    """The lines of a UTF-8 file (split as `text_lines` splits them) a block of whole lines at a time, each
    with the bytes it took; an InputError naming the problem as `read_text_file` does."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as error:
        raise unreadable(path, error) from None
    with handle:
        offset, rest = 0, b""
        while True:
            try:
                data = handle.read(block_bytes)
            except OSError as error:
                raise unreadable(path, error) from None
            data, last = rest + data, not data
            cut = len(data) if last else data.rfind(b"\n") + 1
            block, rest = data[:cut], data[cut:]
            if block:
                try:
                    text = block.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise InputError(f"{path}: not valid UTF-8 (byte {offset + error.start})") from None
                yield text_lines(text), len(block)
                offset += len(block)
            if last:
                return
