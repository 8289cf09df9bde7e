"""Segmenting a large text in worker processes: batches of lines out in the order they came in, with a bounded
number of batches in flight (so memory does not follow the file)."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator

_WORDS: Callable[[str], list[str]] | None = None  # the function each forked worker inherits


def _words_of(lines: list[str]) -> list[list[str]]:
    return list(map(_WORDS, lines))


def words_in_batches(words: Callable[[str], list[str]], batches: Iterable[list[str]], jobs: int = 1
                     ) -> Iterator[list[list[str]]]:
    """``[words(line) for line in batch]`` for each batch, in order. With `jobs` > 1, in that many forked
    worker processes (each inherits `words` with its loaded dictionary), at most 2 × `jobs` batches at once."""
    global _WORDS
    if jobs <= 1:
        for batch in batches:
            yield list(map(words, batch))
        return
    _WORDS = words
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        pending = deque()
        for batch in batches:
            pending.append(pool.apply_async(_words_of, (batch,)))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
