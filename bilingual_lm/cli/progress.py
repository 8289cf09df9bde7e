"""The CLI's progress bars: the rich implementation of `bilingual_lm.progress.Progress`, on stderr."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from bilingual_lm.progress import Advance


@contextmanager
def rich_progress(label: str, total: int) -> Iterator[Advance]:
    """A transient bar on stderr: label and note, done/total, rate and time left."""
    from rich.console import Console  # here: a run without bars does not pay for importing rich
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("[bold]{task.fields[label]}[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=total, label=label, rate="")
        start = time.perf_counter()

        def advance(n: int, note: str | None = None) -> None:
            done = bar.tasks[0].completed + n
            rate = f"{done / max(time.perf_counter() - start, 1e-9):.1f}/s"
            bar.update(task, advance=n, rate=rate, **({"description": note} if note is not None else {}))

        yield advance
