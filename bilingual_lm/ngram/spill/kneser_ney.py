"""Modified Kneser-Ney from the tables on disk straight to an ARPA file, within a memory budget.

The numbers are those of `smoothing/kneser_ney.py`, bit for bit: the same operations on the same values, only
a range of rows at a time. Per order n, from the lowest up:

1. the adjusted counts (the left extensions are counted from order n+1's suffixes) and their counts-of-counts,
   hence the discounts;
2. over ranges that never split a context (so that each context's sums add the same values in the same
   order as a `bincount` over the whole order): Σ a(c x) and γ(c) per context, and each n-gram's own term,
   all written to disk;

then the ARPA sections in order: p(w | c) = own + γ(c) · p(w | c') needs the order below's probabilities
(the one array held whole, read by each n-gram's suffix), the back-off weight of an n-gram is the γ of order
n+1 at the same index, and an n-gram's words come from the keys of the orders below (a range of rows has a
range of prefixes). What is held in memory is one array over the largest order (8 bytes an n-gram) and the
rows in flight; everything else goes through the spill directory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bilingual_lm.atomic import atomic_write
from bilingual_lm.errors import InputError
from bilingual_lm.ngram.arpa import ARPA_END, arpa_head, arpa_meta, section_head
from bilingual_lm.ngram.arpa_text import BLOCK, WordLines, formatted, spaced_words
from bilingual_lm.ngram.smoothing.estimate import context_backoff, log10
from bilingual_lm.ngram.smoothing.kneser_ney import counts_of_counts, discounts
from bilingual_lm.ngram.spill.memory import spare
from bilingual_lm.ngram.spill.tables import DiskCounts
from bilingual_lm.ngram.vocabulary import Vocabulary
from bilingual_lm.progress import Advance

ROW_BYTES = 160  # memory per row of a range in flight (its keys, counts, terms and probabilities)
LINE_BYTES = 512  # memory per line being formatted (numbers, pieces, the gathered text), in blocks of at most
# BLOCK lines
MIN_ROWS = 1024


def range_rows(tables: DiskCounts, memory: int) -> int:
    """Rows per range within a budget of `memory` bytes for the whole process, after what it holds now and the
    one array held whole (8 bytes an n-gram of the largest order), and at least `MIN_ROWS`; InputError if the
    budget could not hold that array and the smallest range even in an empty process."""
    held, row, free = 8 * max(tables.sizes), ROW_BYTES + LINE_BYTES, spare(memory)
    if held + MIN_ROWS * row > memory:
        needed = memory - free + held + MIN_ROWS * row
        raise InputError(f"--memory: {memory >> 20} MB is too small for this model (its largest order has "
                         f"{max(tables.sizes):,} n-grams): give it at least {(needed >> 20) + 1} MB")
    return max((free - held) // row, MIN_ROWS)


def write_kneser_ney_arpa(tables: DiskCounts, vocabulary: Vocabulary, path: str | Path, rows: int,
                          advance: Advance | None = None) -> dict:
    """Estimate modified Kneser-Ney from `tables` and write it to `path` as ARPA (atomically), `rows` rows
    at a time (`range_rows`); the model's params (order, discounts) are returned. `advance(1)` is called as
    each order is estimated and as each section is written."""
    order, bos = len(tables.sizes), vocabulary.bos
    found = []
    for n in range(1, order + 1):
        adjusted = _adjusted(tables, n, bos, rows)
        counted = sum((counts_of_counts(adjusted[a:b]) for a, b in _ranges(len(adjusted), rows)),
                      np.zeros(6, dtype=np.int64))
        found.append(discounts(counted))
        _context_terms(tables, n, adjusted, found[-1][0], rows)
        del adjusted
        if advance:
            advance(1)
    params = {"order": order, "discounts": [list(amounts) for amounts, _ in found],
              "discount_fallback_orders": [n for n, (_, fell_back) in enumerate(found, start=1) if fell_back]}
    lines = WordLines(*spaced_words(vocabulary.words))
    with atomic_write(path, "wb", flush_behind=True) as out:
        out.write(arpa_head(arpa_meta("kn", params), tables.sizes))
        below = None
        for n in range(1, order + 1):
            out.write(section_head(n))
            below = _write_section(out, tables, n, below, lines, vocabulary, rows)
            if advance:
                advance(1)
        out.write(ARPA_END)
    return params


def _ranges(size: int, rows: int):
    """Consecutive (start, stop) ranges of at most `rows` of `size` rows."""
    return ((start, min(start + rows, size)) for start in range(0, size, rows))


def _adjusted(tables: DiskCounts, n: int, bos: int, rows: int) -> np.ndarray:
    """Order n's adjusted counts (see `smoothing.kneser_ney.adjusted_count`)."""
    if n == len(tables.sizes):
        adjusted = tables.read(n, "counts")
    else:
        adjusted = np.zeros(tables.sizes[n - 1], dtype=np.int64)
        for start, stop in _ranges(tables.sizes[n], rows):
            found, times = np.unique(tables.read(n + 1, "suffix", start, stop), return_counts=True)
            adjusted[found] += times
        for start, stop in _ranges(len(adjusted), rows):
            at_bos = tables.read(n, "bos", start, stop)
            adjusted[start:stop][at_bos] = tables.read(n, "counts", start, stop)[at_bos]
    if n == 1:
        adjusted[bos] = 0
    return adjusted


def _context_terms(tables: DiskCounts, n: int, adjusted: np.ndarray, amounts: tuple[float, float, float],
                   rows: int) -> None:
    """Write order n's `totals{n}` and `gamma{n}` (per context) and `own{n}` (per n-gram), as
    `smoothing.kneser_ney._order_terms` computes them."""
    spill, table = tables.spill, np.array([0.0, *amounts])
    contexts = 1 if n == 1 else tables.sizes[n - 2]
    done = 0  # contexts written
    for start, stop in tables.context_ranges(n, rows):
        part = adjusted[start:stop]
        subtracted = table[np.minimum(part, 3)]
        prefix = tables.read(n, "keys", start, stop) // tables.vocab_size if n > 1 else np.zeros(len(part), np.int64)
        low = int(prefix[0])
        prefix -= low
        totals = np.bincount(prefix, weights=part).astype(np.float64, copy=False)
        gamma_sums = np.bincount(prefix, weights=subtracted).astype(np.float64, copy=False)
        spill.write(f"own{n}", (part - subtracted) / totals[prefix], append=True)
        gamma = np.divide(gamma_sums, totals, out=np.zeros_like(gamma_sums), where=totals > 0)
        _write_zeros(spill, n, low - done)
        spill.write(f"totals{n}", totals, append=True)
        spill.write(f"gamma{n}", gamma, append=True)
        done = low + len(totals)
    _write_zeros(spill, n, contexts - done)


def _write_zeros(spill, n: int, count: int) -> None:
    """`count` contexts that no n-gram continues: Σ = 0 and γ = 0."""
    for start, stop in _ranges(count, 1 << 20):
        for name in (f"totals{n}", f"gamma{n}"):
            spill.write(name, np.zeros(stop - start), append=True)


def _write_section(out, tables: DiskCounts, n: int, below: np.ndarray | None, lines: WordLines,
                   vocabulary: Vocabulary, rows: int) -> np.ndarray | None:
    """Write order n's lines; return its probabilities for the order above (None for the highest)."""
    for numbers, ids in formatted(_section_blocks(tables, n, below, vocabulary, rows)):
        out.write(lines.lines(numbers, ids).data)
    if n == len(tables.sizes) or not tables.sizes[n - 1]:
        return None
    return tables.spill.read(f"prob{n}", dtype=np.float64)


def _section_blocks(tables: DiskCounts, n: int, below: np.ndarray | None, vocabulary: Vocabulary, rows: int):
    """Order n's log10 probabilities, back-off weights (None for the highest order) and words, a block of
    lines at a time; the probabilities are also written to `prob{n}` for the order above."""
    spill, size, highest = tables.spill, tables.vocab_size, n == len(tables.sizes)
    for start, stop in _ranges(tables.sizes[n - 1], rows):
        own = spill.read(f"own{n}", start, stop, dtype=np.float64)
        keys = tables.read(n, "keys", start, stop)
        if n == 1:
            prob = own + spill.read("gamma1", 0, 1, dtype=np.float64)[0] * (1.0 / (len(vocabulary) - 1))
        else:
            prefix = keys // size
            low = int(prefix[0])
            weight = spill.read(f"gamma{n}", low, int(prefix[-1]) + 1, dtype=np.float64)
            prob = own + weight[prefix - low] * below[tables.read(n, "suffix", start, stop)]
        if not highest:
            spill.write(f"prob{n}", prob, append=True)
        logprob = log10(prob)
        if n == 1 and start <= vocabulary.bos < stop:
            logprob[vocabulary.bos - start] = 0.0  # KenLM's convention: <s> is never predicted
        backoff = None if highest else context_backoff(spill.read(f"gamma{n + 1}", start, stop, dtype=np.float64),
                                                       spill.read(f"totals{n + 1}", start, stop, dtype=np.float64))
        ids = _word_ids(tables, n, keys)
        step = min(rows, BLOCK)
        for first in range(0, len(keys), step):
            block = slice(first, first + step)
            yield logprob[block], None if backoff is None else backoff[block], ids[block]


def _word_ids(tables: DiskCounts, n: int, keys: np.ndarray) -> np.ndarray:
    """The words of order n's n-grams with these (sorted) keys, a row each: the last word is the key's
    remainder, the others come from the prefix's row in the order below, and so on down."""
    size = tables.vocab_size
    ids = np.empty((len(keys), n), dtype=np.int64)
    index = keys
    for level in range(n, 1, -1):
        ids[:, level - 1] = index % size
        prefix = index // size
        if level == 2:  # a unigram's key is its word
            index = prefix
        else:
            low = int(prefix[0])
            index = tables.read(level - 1, "keys", low, int(prefix[-1]) + 1)[prefix - low]
    ids[:, 0] = index
    return ids
