"""The temporary directory of a bounded training run: arrays written as raw files (appended to, part by part)
and read back with plain reads, and the numbered text spooled there. Every failure to write (a full disk, a
directory that cannot be written) is one `WriteError` naming the directory."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bilingual_lm.errors import InputError, WriteError


@contextmanager
def spill_directory(parent: str | os.PathLike | None) -> Iterator[SpillDirectory]:
    """A fresh directory inside `parent` (the system's temporary directory when None), removed afterwards."""
    where = Path(parent if parent is not None else tempfile.gettempdir())
    if not where.is_dir():
        raise InputError(f"--temp-dir {where}: not a directory")
    try:
        tmp = tempfile.TemporaryDirectory(prefix="blm-ngram-", dir=where)
    except OSError as error:
        raise WriteError.from_os_error(error, where) from None
    with tmp:
        yield SpillDirectory(Path(tmp.name))


class SpillDirectory:
    """Named arrays on disk (int64 unless a dtype is given), written whole or appended to, and read back whole
    or a slice at a time with plain reads (pages mapped into memory would count towards the process's
    resident memory until unmapped)."""

    def __init__(self, path: Path):
        self.path = path

    def write(self, name: str, array: np.ndarray, append: bool = False) -> None:
        """Write `array`'s items (in its own dtype) as `name`, or after what `name` holds."""
        try:
            with (self.path / name).open("ab" if append else "wb") as handle:
                handle.write(memoryview(np.ascontiguousarray(array)))
        except OSError as error:
            raise WriteError.from_os_error(error, self.path) from None

    def read(self, name: str, start: int = 0, stop: int | None = None, dtype=np.int64) -> np.ndarray:
        """The array `name`, or its items start…stop-1."""
        count = -1 if stop is None else stop - start
        return np.fromfile(self.path / name, dtype=dtype, count=count, offset=np.dtype(dtype).itemsize * start)

    def search(self, name: str, values: np.ndarray) -> np.ndarray:
        """`np.searchsorted` of `values` in the sorted int64 array `name`, touching only the pages it reads."""
        mapped = np.memmap(self.path / name, dtype=np.int64, mode="r")
        found = np.searchsorted(mapped, values)
        del mapped
        return found

    def sample(self, name: str, step: int) -> np.ndarray:
        """Every `step`-th item of the int64 array `name`."""
        mapped = np.memmap(self.path / name, dtype=np.int64, mode="r")
        every = np.array(mapped[::step])
        del mapped
        return every

    def size(self, name: str) -> int:
        """Items in the int64 array `name`."""
        return (self.path / name).stat().st_size // 8


class TextSpool:
    """The numbered text on disk: word ids and sentence lengths, appended batch by batch."""

    def __init__(self, spill: SpillDirectory):
        self.spill = spill
        self.tokens = self.sentences = 0
        try:
            self._files = [(spill.path / "text.ids").open("wb"), (spill.path / "text.lengths").open("wb")]
        except OSError as error:
            raise WriteError.from_os_error(error, spill.path) from None

    def append(self, ids: np.ndarray, lengths: np.ndarray) -> None:
        try:
            for handle, array in zip(self._files, (ids, lengths), strict=True):
                handle.write(memoryview(np.ascontiguousarray(array, dtype=np.int64)))
        except OSError as error:
            raise WriteError.from_os_error(error, self.spill.path) from None
        self.tokens += len(ids)
        self.sentences += len(lengths)

    def chunks(self, max_tokens: int) -> list[tuple[int, int, int, int]]:
        """The text as consecutive runs of whole sentences of at most `max_tokens` tokens each, <s> and </s>
        included (a longer sentence is a chunk of its own): the first and last+1 word and sentence of each."""
        try:
            for handle in self._files:
                handle.close()
        except OSError as error:
            raise WriteError.from_os_error(error, self.spill.path) from None
        lengths = self.spill.read("text.lengths")
        ends = np.cumsum(lengths + 2)  # tokens up to the end of each sentence, <s> and </s> included
        cuts, start, done = [0], 0, 0
        while start < len(lengths):
            stop = max(int(np.searchsorted(ends, done + max_tokens, side="right")), start + 1)
            cuts.append(stop)
            done, start = int(ends[stop - 1]), stop
        first_word = np.concatenate([[0], np.cumsum(lengths)])
        return [(int(first_word[a]), int(first_word[b]), a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]

    def read(self, chunk: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The word ids and sentence lengths of a chunk from `chunks`."""
        first_word, end_word, first_sentence, end_sentence = chunk
        return (self.spill.read("text.ids", first_word, end_word),
                self.spill.read("text.lengths", first_sentence, end_sentence))
