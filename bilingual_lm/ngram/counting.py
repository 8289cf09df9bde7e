"""Vectorised n-gram counting: every n-gram of a corpus as one integer key, counted by sort + unique.

The n-grams of order n are numbered 0 … len-1 and stored as a trie by index: an n-gram's key is
``index of its (n-1)-word prefix × V + its last word`` (V = vocabulary size), and each order's keys are
sorted. So the n-gram ending at position i of the corpus is found from the (n-1)-gram ending at i-1,
with one sort per order and no Python loop over n-grams. Where a key and a corpus position fit together
in 63 bits, that sort is numpy's plain (SIMD) sort of ``key << bits | position``, 4x faster than an
argsort. The same keys serve for queries (`tables.py`), where a search in the sorted keys replaces a
dictionary walk.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from bilingual_lm.progress import Advance


@dataclass
class OrderCounts:
    """The distinct n-grams of one order n: sorted keys, raw counts, and the links between orders."""

    keys: np.ndarray  # int64, sorted; for unigrams the word id itself
    counts: np.ndarray  # int64 raw counts
    prefix: np.ndarray  # index of the (n-1)-gram w1…w(n-1) in order n-1 (all 0 for unigrams)
    suffix: np.ndarray  # index of the (n-1)-gram w2…wn in order n-1 (-1 for unigrams)
    starts_with_bos: np.ndarray  # bool: w1 is <s>

    def __len__(self) -> int:
        return len(self.keys)


def count_ngrams(flat: np.ndarray, hist: np.ndarray, order: int, vocab_size: int, bos: int,
                 progress: Advance | None = None) -> list[OrderCounts]:
    """Count all n-grams of orders 1…`order` in `flat` (sentences with <s> … </s>, `hist` = position in
    its sentence). An n-gram never reaches back past its sentence's <s>, as in KenLM.

    Each order needs only where the previous order's n-grams end (`ending_here`); the rest of its table is
    finished in a second thread while the next order is sorted (numpy releases the GIL in its loops).
    `progress(1)` is called as each order is counted."""
    unigram_counts = np.bincount(flat, minlength=vocab_size).astype(np.int64)
    words = np.arange(vocab_size, dtype=np.int64)
    orders = [OrderCounts(words, unigram_counts, np.zeros(vocab_size, dtype=np.int64),
                          np.full(vocab_size, -1, dtype=np.int64), words == bos)]
    ending_here = flat  # index of the (n-1)-gram ending at each position (set where hist >= n-2)
    if progress:
        progress(1)
    previous_size = vocab_size  # distinct (n-1)-grams
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = []
        for n in range(2, order + 1):
            at = np.flatnonzero(hist >= n - 1)  # positions where an n-gram ends
            keys = ending_here[at - 1]
            keys *= vocab_size
            keys += flat[at]
            sorted_keys, ends = sort_pairs(keys, previous_size * vocab_size, at, len(flat))  # and where each ends
            is_first = np.empty(len(keys), dtype=bool)
            is_first[:1] = True
            np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=is_first[1:])
            pending.append(pool.submit(_table, n, sorted_keys, ends, is_first, ending_here, flat, vocab_size, bos))
            index = np.cumsum(is_first)
            previous_size = int(index[-1]) if len(index) else 0
            index -= 1
            ending_here = np.empty(len(flat), dtype=np.int64)  # read only where an n-gram ends
            ending_here[ends] = index
            if progress:
                progress(1)
        orders += [table.result() for table in pending]
    return orders


def _table(n: int, sorted_keys: np.ndarray, ends: np.ndarray, is_first: np.ndarray, ending_before: np.ndarray,
           flat: np.ndarray, vocab_size: int, bos: int) -> OrderCounts:
    """The distinct n-grams of order n from their sorted occurrences (`ends`: where each occurrence ends;
    `ending_before`: the index of the (n-1)-gram ending at each position)."""
    first = np.flatnonzero(is_first)
    unique = sorted_keys[first]
    counts = np.empty_like(first)
    np.subtract(first[1:], first[:-1], out=counts[:-1])
    counts[-1:] = len(sorted_keys) - first[-1:]
    last_word_at = ends[first]
    suffix = ending_before[last_word_at]
    return OrderCounts(unique, counts, unique // vocab_size, suffix, flat[last_word_at - (n - 1)] == bos)


def sort_pairs(keys: np.ndarray, bound: int, values: np.ndarray, values_bound: int) -> tuple[np.ndarray, np.ndarray]:
    """`keys` (each below `bound`) sorted, and `values` (each below `values_bound`) in the same order."""
    bits = max(values_bound - 1, 1).bit_length()
    if bound > 1 << (63 - bits):
        order = np.argsort(keys)
        return keys[order], values[order]
    packed = keys << bits
    packed |= values
    packed.sort()
    values = packed & ((1 << bits) - 1)
    packed >>= bits
    return packed, values
