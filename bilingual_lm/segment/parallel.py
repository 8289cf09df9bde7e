"""Segmenting a large text in worker processes: batches of lines out in the order they came in, with a bounded
number of batches in flight (so memory does not follow the file)."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

_WORK: tuple[Callable[[str], list[str]], Callable[[list[list[str]]], Any]] | None = None  # forked workers inherit it


def _words_of(lines: list[str]) -> Any:
    words, then = _WORK
    return then(list(map(words, lines)))


def words_in_batches(words: Callable[[str], list[str]], batches: Iterable[list[str]], jobs: int = 1,
                     then: Callable[[list[list[str]]], Any] | None = None) -> Iterator[Any]:
    """``[words(line) for line in batch]`` for each batch, in order. With `jobs` > 1, in that many forked
    worker processes (each inherits `words` with its loaded dictionary), at most 2 × `jobs` batches at once,
    each batch's words passed through `then` in the worker (to send back something smaller than lists of
    words)."""
    global _WORK
    if jobs <= 1:
        for batch in batches:
            yield list(map(words, batch))
        return
    _WORK = (words, then or (lambda sentences: sentences))
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        pending = deque()
        for batch in batches:
            pending.append(pool.apply_async(_words_of, (batch,)))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
