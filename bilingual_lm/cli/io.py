"""Reading CLI inputs (arguments, files or stdin) with clear errors."""

from __future__ import annotations

import sys

from bilingual_lm.errors import InputError
from bilingual_lm.textfile import read_text_file, text_lines


def read_stdin() -> str:
    """Standard input as UTF-8 text."""
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"<stdin>: not valid UTF-8 (byte {error.start})") from None


def gather_texts(texts: tuple[str, ...], files: tuple[str, ...]) -> list[str]:
    """Texts from arguments, else from files (one text per non-empty line), else stdin lines.

    Every text must hold something other than whitespace; files or stdin without any text are refused.
    """
    gathered = list(texts)
    for path in files:
        gathered += [line for line in text_lines(read_text_file(path)) if line.strip()]
    if not texts and not files:
        gathered = [line for line in text_lines(read_stdin()) if line.strip()]
        if not gathered:
            raise InputError("no text given (pass TEXT arguments, --file, or text on stdin)")
    if not gathered:
        raise InputError(f"no text in {', '.join(files)} (every line is empty or whitespace)")
    for text in gathered:
        if not text.strip():
            raise InputError("empty or whitespace-only text")
    return gathered
