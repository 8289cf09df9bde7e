"""Segmenting a large text in worker processes: batches of lines out in the order they came in, with a bounded
number of batches in flight (so memory does not follow the file)."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

_WORK: Callable[[list[str]], Any] | None = None  # forked workers inherit it


def _work_on(lines: list[str]) -> Any:
    return _WORK(lines)


def map_batches(work: Callable[[list[str]], Any], batches: Iterable[list[str]], jobs: int = 1) -> Iterator[Any]:
    """``work(batch)`` for each batch, in order. With `jobs` > 1, in that many forked worker processes (each
    inherits `work`, with the dictionaries it has loaded), at most 2 × `jobs` batches at once: `work` should
    return something smaller than lists of words (ids), to travel back fast."""
    global _WORK
    if jobs <= 1:
        yield from map(work, batches)
        return
    _WORK = work
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        pending = deque()
        for batch in batches:
            pending.append(pool.apply_async(_work_on, (batch,)))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
