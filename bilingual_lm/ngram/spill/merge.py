"""Merging the sorted runs of chunks counted apart into the tables that counting the whole text would give.

A chunk's table of order n numbers its n-grams by the chunk's own (n-1)-gram indices (`counting.py`: key =
prefix index × V + last word), in the same order as the words read left to right. Once order n-1 is merged,
each run's local (n-1)-gram indices map to the global ones (a search of its keys in the merged table), so
its n-grams get their global keys, still sorted. The runs' global keys are then merged part by part: the key
range is cut at quantiles so that each part fits the memory budget, within a part equal keys are summed, and
the parts are appended to the order's tables on disk (`tables.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from bilingual_lm.ngram.counting import OrderCounts, sort_pairs
from bilingual_lm.ngram.spill.store import SpillDirectory
from bilingual_lm.ngram.spill.tables import DiskCounts
from bilingual_lm.progress import Advance

MERGE_BYTES_PER_ROW = 160  # a part's keys, counts and suffixes, their sort and the summed copies (measured: ~130)
MIN_PART_ROWS = 4096


@dataclass
class Run:
    """One chunk's tables of orders 2 and up, on disk as `run{index}.{n}.{keys,counts,suffix}` (and, as
    the merge goes, their global keys and suffixes, and the map from its indices to the merged ones)."""

    index: int
    order: int

    def name(self, n: int, what: str) -> str:
        return f"run{self.index}.{n}.{what}"


def spill_run(spill: SpillDirectory, index: int, counts: list[OrderCounts]) -> Run:
    """Write a chunk's tables of orders 2 and up (its unigram counts are summed by the caller)."""
    run = Run(index, len(counts))
    for n, table in enumerate(counts[1:], start=2):
        for what in ("keys", "counts", "suffix"):
            spill.write(run.name(n, what), getattr(table, what))
    return run


def merge_runs(spill: SpillDirectory, runs: list[Run], unigram_counts: np.ndarray, vocab_size: int, bos: int,
               memory: int, advance: Advance | None = None) -> DiskCounts:
    """The tables of the whole text from its runs (`unigram_counts`: the chunks' unigram counts summed), written
    to `spill` part by part."""
    words = np.arange(vocab_size, dtype=np.int64)
    tables = DiskCounts(spill, vocab_size)
    tables.append(1, words, unigram_counts, np.full(vocab_size, -1, dtype=np.int64), words == bos)
    part_rows = max(memory // MERGE_BYTES_PER_ROW, MIN_PART_ROWS)
    for n in range(2, runs[0].order + 1):
        names = []  # per run: its global keys, counts and suffixes
        for run in runs:
            keys, suffix = (run.name(n, "keys"), run.name(n, "suffix"))
            if n > 2:  # order 2's prefixes and suffixes are words, numbered alike everywhere
                to_global = spill.read(run.name(n - 1, "map"))
                local = spill.read(keys)
                spill.write(run.name(n, "global_keys"), to_global[local // vocab_size] * vocab_size
                            + local % vocab_size)
                del local
                spill.write(run.name(n, "global_suffix"), to_global[spill.read(suffix)])
                keys, suffix = run.name(n, "global_keys"), run.name(n, "global_suffix")
            names.append((keys, run.name(n, "counts"), suffix))
        below_bos = tables.read(n - 1, "bos")
        for part_keys, part_counts, part_suffix in _merge(spill, names, tables.sizes[-1] * vocab_size, part_rows):
            tables.append(n, part_keys, part_counts, part_suffix, below_bos[part_keys // vocab_size])
        del below_bos
        if n < runs[0].order:
            for run, (keys, _, _) in zip(runs, names, strict=True):
                spill.write(run.name(n, "map"), tables.first_row(n, spill.read(keys)))
        if advance:
            advance(1)
    return tables


def _merge(spill: SpillDirectory, names: list[tuple[str, str, str]], bound: int, part_rows: int
           ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The distinct keys of sorted runs (each below `bound`; `names`: each run's keys, counts and suffixes),
    their summed counts and suffixes, merged in consecutive parts of about `part_rows` rows."""
    sizes = [spill.size(keys) for keys, _, _ in names]
    total = sum(sizes)
    parts = max(-(-total // part_rows), 1)
    step = max(total // (parts * 64), 1)  # about 64 samples per part
    sample = np.sort(np.concatenate([spill.sample(keys, step) for keys, _, _ in names]))
    bounds = np.unique(sample[np.linspace(0, len(sample), parts, endpoint=False).astype(np.int64)[1:]])
    edges = [np.concatenate([[0], spill.search(keys, bounds), [size]])
             for (keys, _, _), size in zip(names, sizes, strict=True)]
    for part in range(len(bounds) + 1):
        columns = []  # the part's keys, counts and suffixes, each read from every run and joined
        for column in range(3):
            columns.append(np.concatenate([spill.read(run[column], e[part], e[part + 1])
                                           for run, e in zip(names, edges, strict=True)]))
        yield _merge_part(columns, bound)


def _merge_part(columns: list[np.ndarray], bound: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct keys of `columns` (keys, counts and suffixes; emptied here so that each array is let go as
    soon as it is used), with their summed counts and suffixes."""
    keys, counts, suffix = columns
    columns.clear()
    if len(keys) == 0:
        return keys, counts, suffix
    sorted_keys, order = sort_pairs(keys, bound, np.arange(len(keys), dtype=np.int64), len(keys))
    del keys
    first = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
    summed = np.add.reduceat(counts[order], first)
    del counts
    return sorted_keys[first], summed, suffix[order[first]]
