"""Merging the sorted runs of chunks counted apart into the tables that counting the whole text would give.

A chunk's table of order n numbers its n-grams by the chunk's own (n-1)-gram indices (`counting.py`: key =
prefix index × V + last word), in the same order as the words read left to right. Once order n-1 is merged,
each run's local (n-1)-gram indices map to the global ones (a search of its keys in the merged table), so
its n-grams get their global keys, still sorted. The runs' global keys are then merged part by part: the key
range is cut at quantiles so that each part fits the memory budget, and within a part equal keys are summed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bilingual_lm.ngram.counting import OrderCounts, sort_pairs
from bilingual_lm.ngram.spill.store import SpillDirectory
from bilingual_lm.progress import Advance

MERGE_BYTES_PER_ROW = 64  # a part's keys, counts and suffixes, their sort and the summed copies


@dataclass
class Run:
    """One chunk's tables of orders 2 and up, on disk as `run{index}.{n}.{keys,counts,suffix}`."""

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
               memory: int, advance: Advance | None = None) -> list[OrderCounts]:
    """The tables of the whole text from its runs (`unigram_counts`: the chunks' unigram counts summed)."""
    words = np.arange(vocab_size, dtype=np.int64)
    orders = [OrderCounts(words, unigram_counts, np.zeros(vocab_size, dtype=np.int64),
                          np.full(vocab_size, -1, dtype=np.int64), words == bos)]
    part_rows = max(memory // MERGE_BYTES_PER_ROW, 1)
    maps: list[np.ndarray | None] = [None] * len(runs)  # per run: global index of each local (n-1)-gram
    for n in range(2, runs[0].order + 1):
        keys, counts, suffixes = [], [], []
        for r, run in enumerate(runs):
            local_keys, local_suffix = spill.read(run.name(n, "keys")), spill.read(run.name(n, "suffix"))
            if maps[r] is None:  # order 2: the prefixes and suffixes are words, numbered alike everywhere
                keys.append(local_keys)
                suffixes.append(local_suffix)
            else:
                global_keys = maps[r][local_keys // vocab_size] * vocab_size + local_keys % vocab_size
                keys.append(spill.write(run.name(n, "global_keys"), global_keys))
                suffixes.append(spill.write(run.name(n, "global_suffix"), maps[r][local_suffix]))
            counts.append(spill.read(run.name(n, "counts")))
        table_keys, table_counts, table_suffix = _merge(keys, counts, suffixes, len(orders[-1]) * vocab_size,
                                                        part_rows)
        prefix = table_keys // vocab_size
        orders.append(OrderCounts(table_keys, table_counts, prefix, table_suffix,
                                  orders[-1].starts_with_bos[prefix]))
        if n < runs[0].order:
            maps = [spill.write(f"run{r}.{n}.map", np.searchsorted(table_keys, k)) for r, k in enumerate(keys)]
        if advance:
            advance(1)
    return orders


def _merge(keys: list[np.ndarray], counts: list[np.ndarray], suffixes: list[np.ndarray], bound: int,
           part_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct keys of sorted runs (each below `bound`), their summed counts and suffixes, merged in
    parts of about `part_rows` rows."""
    total = sum(map(len, keys))
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    parts = -(-total // part_rows)
    step = max(total // (parts * 64), 1)  # about 64 samples per part
    sample = np.sort(np.concatenate([k[::step] for k in keys]))
    bounds = np.unique(sample[np.linspace(0, len(sample), parts, endpoint=False).astype(np.int64)[1:]])
    edges = [np.concatenate([[0], np.searchsorted(k, bounds), [len(k)]]) for k in keys]
    merged = []
    for part in range(len(bounds) + 1):
        pieces = [(k[e[part]:e[part + 1]], c[e[part]:e[part + 1]], s[e[part]:e[part + 1]])
                  for k, c, s, e in zip(keys, counts, suffixes, edges, strict=True)]
        merged.append(_merge_part(*(np.concatenate(column) for column in zip(*pieces, strict=True)), bound))
    return tuple(np.concatenate(column) for column in zip(*merged, strict=True))


def _merge_part(keys: np.ndarray, counts: np.ndarray, suffix: np.ndarray, bound: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(keys) == 0:
        return keys.astype(np.int64), counts.astype(np.int64), suffix.astype(np.int64)
    sorted_keys, order = sort_pairs(np.ascontiguousarray(keys, dtype=np.int64), bound,
                                    np.arange(len(keys), dtype=np.int64), len(keys))
    first = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
    return sorted_keys[first], np.add.reduceat(counts[order], first), suffix[order[first]]
