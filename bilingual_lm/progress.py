"""Progress of long library work, reported through a callback that the caller supplies.

Library code never draws a bar. A long loop takes ``progress: Progress | None`` and reports through it::

    with report(progress, "scoring", total=len(texts)) as advance:
        advance(n)                     # n more done
        advance(n, note="cldr_city")   # ... and what is being done now

The CLI passes `bilingual_lm.cli.progress.rich_progress` (a rich bar on stderr); a notebook may pass its own
(a tqdm bar, a logger) or nothing, which reports nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol


class Advance(Protocol):
    """Called as work is done: `n` more units, and optionally a short note on what is running now."""

    def __call__(self, n: int, note: str | None = None) -> None: ...


#: progress(label, total) opens one bar of `total` units and yields its `Advance`.
Progress = Callable[[str, int], AbstractContextManager[Advance]]


@contextmanager
def _silent(label: str, total: int) -> Iterator[Advance]:
    yield lambda n, note=None: None


def report(progress: Progress | None, label: str, total: int) -> AbstractContextManager[Advance]:
    """`progress(label, total)`, or a context that reports nothing when `progress` is None."""
    return (progress or _silent)(label, total)
