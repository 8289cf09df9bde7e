"""The temporary directory of a bounded training run: arrays written as `.npy` files and read back memory-mapped,
and the numbered text spooled there. Every failure to write (a full disk, a directory that cannot be written)
is one `WriteError` naming the directory."""

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
    """Named arrays on disk."""

    def __init__(self, path: Path):
        self.path = path

    def write(self, name: str, array: np.ndarray) -> np.ndarray:
        """Write `array` as `name` and give it back memory-mapped."""
        target = self.path / f"{name}.npy"
        try:
            with target.open("wb") as handle:  # through Python's writes: numpy's own reports a full disk vaguely
                np.save(_Writes(handle.write), array)
        except OSError as error:
            raise WriteError.from_os_error(error, self.path) from None
        return self.read(name)

    def read(self, name: str) -> np.ndarray:
        return np.load(self.path / f"{name}.npy", mmap_mode="r")

    def remove(self, name: str) -> None:
        (self.path / f"{name}.npy").unlink()


class TextSpool:
    """The numbered text on disk: word ids (int32) and sentence lengths, appended batch by batch."""

    def __init__(self, spill: SpillDirectory):
        self.spill = spill
        self.ids_path, self.lengths_path = spill.path / "text.ids", spill.path / "text.lengths"
        self.tokens = self.sentences = 0
        self._files = [self.ids_path.open("wb"), self.lengths_path.open("wb")]

    def append(self, ids: np.ndarray, lengths: np.ndarray) -> None:
        try:
            self._files[0].write(memoryview(ids.astype(np.int32)))
            self._files[1].write(memoryview(np.ascontiguousarray(lengths, dtype=np.int64)))
        except OSError as error:
            raise WriteError.from_os_error(error, self.spill.path) from None
        self.tokens += len(ids)
        self.sentences += len(lengths)

    def chunks(self, max_tokens: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The text as consecutive runs of whole sentences of at most `max_tokens` tokens each, <s> and </s>
        included (a longer sentence is a chunk of its own): (ids, lengths) of each, memory-mapped."""
        try:
            for handle in self._files:
                handle.close()
        except OSError as error:
            raise WriteError.from_os_error(error, self.spill.path) from None
        if not self.tokens:
            return []
        ids = np.memmap(self.ids_path, dtype=np.int32, mode="r")
        lengths = np.fromfile(self.lengths_path, dtype=np.int64)
        ends = np.cumsum(lengths + 2)  # tokens up to the end of each sentence, <s> and </s> included
        cuts, start, done = [0], 0, 0
        while start < len(lengths):
            stop = max(int(np.searchsorted(ends, done + max_tokens, side="right")), start + 1)
            cuts.append(stop)
            done, start = int(ends[stop - 1]), stop
        first_word = np.concatenate([[0], np.cumsum(lengths)])
        return [(ids[first_word[a]:first_word[b]], lengths[a:b]) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]


class _Writes:
    """A file as numpy sees any stream: written through `write`."""

    def __init__(self, write):
        self.write = write
