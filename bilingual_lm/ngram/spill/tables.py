"""The counted tables of every order on disk, as merging writes them: `order{n}.keys`, `.counts` and `.suffix`
(int64) and `.bos` (bool: the n-gram starts with <s>), the fields of `OrderCounts` without the prefix, which
is the key // V. They are read back whole (`load`, for the estimate in memory) or a range at a time (the
streaming estimate)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from bilingual_lm.ngram.counting import OrderCounts
from bilingual_lm.ngram.spill.store import SpillDirectory

FIELDS = {"keys": np.int64, "counts": np.int64, "suffix": np.int64, "bos": np.bool_}


class DiskCounts:
    """Each order's distinct n-grams on disk (see the module docstring); `sizes[n - 1]` counts order n's."""

    def __init__(self, spill: SpillDirectory, vocab_size: int):
        self.spill, self.vocab_size, self.sizes = spill, vocab_size, []

    @classmethod
    def of(cls, spill: SpillDirectory, counts: list[OrderCounts]) -> DiskCounts:
        """The tables `counts`, counted in memory, written to `spill`."""
        tables = cls(spill, len(counts[0]))
        for n, table in enumerate(counts, start=1):
            tables.append(n, table.keys, table.counts, table.suffix, table.starts_with_bos)
        return tables

    def append(self, n: int, keys: np.ndarray, counts: np.ndarray, suffix: np.ndarray, bos: np.ndarray) -> None:
        """Add rows to order n (the next order when n is new); rows come in key order."""
        if n > len(self.sizes):
            self.sizes.append(0)
        for what, array in zip(FIELDS, (keys, counts, suffix, bos), strict=True):
            self.spill.write(self.name(n, what), array.astype(FIELDS[what], copy=False), append=True)
        self.sizes[n - 1] += len(keys)

    def name(self, n: int, what: str) -> str:
        return f"order{n}.{what}"

    def read(self, n: int, what: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Order n's `what` (a field of `FIELDS`), whole or rows start…stop-1."""
        return self.spill.read(self.name(n, what), start, stop, dtype=FIELDS[what])

    def first_row(self, n: int, keys: np.ndarray) -> np.ndarray:
        """The first row of order n whose key is at least each of `keys`."""
        return self.spill.search(self.name(n, "keys"), keys)

    def load(self) -> list[OrderCounts]:
        """Every order in memory, as counting in memory gives them."""
        tables = []
        for n in range(1, len(self.sizes) + 1):
            keys = self.read(n, "keys")
            prefix = keys // self.vocab_size if n > 1 else np.zeros(len(keys), dtype=np.int64)
            tables.append(OrderCounts(keys, self.read(n, "counts"), prefix, self.read(n, "suffix"),
                                      self.read(n, "bos")))
        return tables

    def context_ranges(self, n: int, rows: int) -> Iterator[tuple[int, int]]:
        """Order n's rows as consecutive ranges of about `rows` rows that never split a context (the n-grams
        sharing their first n-1 words are consecutive): a context larger than `rows` is a range of its own."""
        size, start = self.sizes[n - 1], 0
        if n == 1:  # the unigrams share one context, the empty one
            rows = size
        while start < size:
            stop = min(start + rows, size)
            if stop < size:
                context = int(self.read(n, "keys", stop, stop + 1)[0]) // self.vocab_size
                stop = int(self.first_row(n, np.array([context * self.vocab_size]))[0])
                if stop <= start:  # one context fills the range
                    stop = int(self.first_row(n, np.array([(context + 1) * self.vocab_size]))[0])
            yield start, stop
            start = stop
