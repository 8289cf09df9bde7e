"""ARPA text in bulk: numbers and n-gram lines formatted by numpy, with no Python object per line.

* **Numbers** are written at KenLM's precision, float32 (lmplz computes in float32 and writes with
  double-conversion's ``ToShortestSingle``): each log10 value becomes the shortest decimal whose float32
  rounding is the value's float32 rounding, so that KenLM's files are copied digit for digit. 0 is "0",
  log10 0 (-inf) is "-99". The digits are the value scaled by a power of ten and rounded to an integer;
  each candidate is checked by the same division that a correctly rounded parser does (Python's
  `float`, C's `strtod`), then rounded to float32.
* **Lines**: every piece of a line (a number, a tab, the n-gram's words, a newline) is a slice of one
  byte buffer, and a block of lines is all its pieces gathered at once (`ragged_take`). An n-gram's words
  are its prefix's words, found in the lines of the section below, a space and its last word.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

BLOCK = 1 << 16  # values formatted at once: numpy's passes stay in the cache
_DIGITS5 = (np.arange(100_000)[:, None] // 10 ** np.arange(4, -1, -1) % 10 + ord("0")).astype(np.uint8).view("S5")[:, 0]
_POW10 = 10.0 ** np.arange(23)  # exact in float64
_POW10_SIGNED = 10.0 ** np.arange(-22, 24)  # 10**i at i + 22
_POW10_INT = 10 ** np.arange(19, dtype=np.int64)
_PLAIN = (1e-7, 1e10)  # magnitudes laid out by numpy; the rest (rare in a model) by numpy's Dragon4
_COUNTING = np.arange(0, dtype=np.int32)
T = TypeVar("T")


def ragged_take(source: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenation of ``source[starts[i] : starts[i] + lengths[i]]`` over i."""
    global _COUNTING
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    small = len(source) < 1 << 31 and total < 1 << 31  # 32-bit indices: half the memory traffic
    shift = starts - ends + lengths
    index = np.repeat(shift.astype(np.int32) if small else shift, lengths)
    if small:
        if len(_COUNTING) < total:
            _COUNTING = np.arange(max(total, 2 * len(_COUNTING)), dtype=np.int32)
        index += _COUNTING[:total]
    else:
        index += np.arange(total, dtype=index.dtype)
    return source[index]


def _round_trip(magnitude: np.ndarray, exponent: np.ndarray, target: np.ndarray, digits: int):
    """`magnitude` (float64 holding float32 values, 10**exponent <= magnitude < 10**(exponent+1)) rounded
    to `digits` significant digits: the integer m and scale k (value m / 10**k), and whether m / 10**k,
    correctly rounded to float64 and then to float32, is `target`."""
    k = digits - 1 - exponent
    if k.min(initial=0) >= 0:  # the usual case: a multiplication and a division by exact powers of ten
        power = _POW10[k]
        m = np.rint(magnitude * power)
        back = m / power
    else:
        power = _POW10[np.abs(k)]
        up = k >= 0
        m = np.rint(np.where(up, magnitude * power, magnitude / power))
        back = np.where(up, m / power, m * power)
    return m, k, back.astype(np.float32) == target


def shortest_float32(values: np.ndarray, before: bytes = b"", after: bytes = b"",
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each value's float32 rounding as its shortest decimal, log10 0 as -99, between the bytes `before` and
    `after` (none or one each): a byte buffer, and where each value's text starts in it and how long it is.
    Fastest on blocks that fit in the cache (`BLOCK`)."""
    x = values.astype(np.float32)
    if np.isnan(x).any() or x.max(initial=-np.inf) == np.inf:
        raise ValueError("a log10 value is NaN or +inf")
    absolute = np.abs(x)
    plain = (absolute >= _PLAIN[0]) & (absolute < _PLAIN[1])
    rows = np.flatnonzero(plain)
    target = absolute[rows]
    magnitude = target.astype(np.float64)
    exponent = np.floor(np.log10(magnitude)).astype(np.int64)
    exponent -= _POW10_SIGNED[exponent + 22] > magnitude  # where log10 rounded across a power of ten
    exponent += _POW10_SIGNED[exponent + 23] <= magnitude
    # 9 significant digits always suffice for float32, and a value with a decimal of d digits has one of
    # every length above d: so try 9, then fewer while it still reads back
    m_rows, k_rows, ok = _round_trip(magnitude, exponent, target, 9)
    if not ok.all():
        raise AssertionError("a float32 without a 9-digit decimal")
    todo = np.arange(len(rows))
    for digits in range(8, 0, -1):
        m_d, k_d, ok = _round_trip(magnitude[todo], exponent[todo], target[todo], digits)
        todo = todo[ok]
        m_rows[todo], k_rows[todo] = m_d[ok], k_d[ok]
        if not len(todo):
            break
    m, k = np.zeros(len(x), dtype=np.int64), np.zeros(len(x), dtype=np.int64)  # value = m / 10**k
    m[rows], k[rows] = m_rows, k_rows  # 0 stays m = 0
    m[x == -np.inf] = 99  # -99
    buffer, starts, lengths = _layout(m, k, (x < 0) & (plain | (x == -np.inf)), before, after)
    others = np.flatnonzero(~plain & (x != 0) & (x != -np.inf))
    if len(others):
        texts = [before + np.format_float_positional(v, unique=True, trim="-").encode() + after for v in x[others]]
        starts[others] = len(buffer) + np.cumsum([0] + [len(t) for t in texts[:-1]])
        lengths[others] = [len(t) for t in texts]
        buffer = np.concatenate([buffer, np.frombuffer(b"".join(texts), dtype=np.uint8)])
    return buffer, starts, lengths


def _layout(m: np.ndarray, k: np.ndarray, negative: np.ndarray, before: bytes, after: bytes,
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The decimals m / 10**k (0 <= m < 10**9, k <= 15, negated where `negative`), one row each, aligned at
    the decimal point: a column for `before`, one for the sign, the integer part's digits in groups of
    five, the point, the fraction's digits in groups of five (each group one field of a structured array,
    copied whole) and a column for `after`."""
    zero = np.flatnonzero((m % 10 == 0) & (m != 0))
    while len(zero):  # m's trailing zeros are not written
        m[zero] //= 10
        k[zero] -= 1
        zero = zero[m[zero] % 10 == 0]
    decimals = np.maximum(k, 0)  # digits after the point
    integer = np.where(k >= 0, m // _POW10_INT[decimals], m * _POW10_INT[np.maximum(-k, 0)])
    places = np.maximum(np.searchsorted(_POW10_INT, integer, side="right"), 1)  # integer digits written
    groups_before, groups_after = -(-int(places.max(initial=1)) // 5), -(-int(decimals.max(initial=0)) // 5)
    fraction = (m - integer * _POW10_INT[decimals]) * _POW10_INT[5 * groups_after - decimals]
    names = ["before", "sign", *(f"i{j}" for j in range(groups_before)), "point",
             *(f"f{j}" for j in range(groups_after)), "after"]
    formats = ["S1", "S1"] + ["S5"] * groups_before + ["S1"] + ["S5"] * groups_after + ["S1"]
    layout = np.empty(len(m), dtype=np.dtype({"names": names, "formats": formats}))
    for name, number, groups in (("i", integer, groups_before), ("f", fraction, groups_after)):
        for j in range(groups):
            layout[f"{name}{j}"] = _DIGITS5[number // _POW10_INT[5 * (groups - 1 - j)] % 100_000]
    layout["point"] = b"."
    point = 2 + 5 * groups_before
    start = point - places - negative
    end = point + np.where(k > 0, 1 + k, 0)
    rows = np.arange(len(m), dtype=np.int64) * layout.dtype.itemsize
    flat = layout.view(np.uint8)
    flat[(rows + start)[negative]] = ord("-")
    if before:
        start -= 1
        flat[rows + start] = before[0]
    if after:
        flat[rows + end] = after[0]
        end += 1
    return flat, rows + start, end - start


def spaced_words(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The words' UTF-8 bytes, each after a space, and each word's length in bytes."""
    encoded = [word.encode("utf-8") for word in words]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    return np.frombuffer(b" " + b" ".join(encoded), dtype=np.uint8) if encoded else np.zeros(0, np.uint8), lengths


def block_numbers(prob: np.ndarray, backoff: np.ndarray | None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A block's probabilities with their tab, and its back-off weights between a tab and a newline (None
    for the highest order), by `shortest_float32`."""
    numbers = [shortest_float32(prob, after=b"\t")]
    return numbers if backoff is None else [*numbers, shortest_float32(backoff, before=b"\t", after=b"\n")]


def formatted(blocks: Iterable[tuple[np.ndarray, np.ndarray | None, T]]) -> Iterator[tuple[list, T]]:
    """For each block (log10 probabilities, back-off weights or None, and anything else), its numbers by
    `block_numbers` and the rest, each block's numbers formatted in a second thread while the caller uses the
    block before (numpy releases the GIL in its loops)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for prob, backoff, rest in blocks:
            submitted = pool.submit(block_numbers, prob, backoff), rest
            if pending:
                yield pending[0].result(), pending[1]
            pending = submitted
        if pending:
            yield pending[0].result(), pending[1]


class SectionWriter:
    """The lines of one ARPA section, ``prob TAB words [TAB backoff] NEWLINE``, block by block.

    Every piece of a line is a slice of one source buffer: the section below's lines (an n-gram's words
    are its prefix's words, a space and its last word, and the prefix's words sit in the line below), the
    words with a leading space, a newline, and a scratch area for the block's numbers (with their tabs).
    """

    def __init__(self, spaced: np.ndarray, word_lengths: np.ndarray,
                 lower: tuple[np.ndarray, np.ndarray, np.ndarray] | None, keep: bool = True):
        """`spaced`: every word after a space (from `spaced_words`), `word_lengths` their UTF-8 lengths;
        `lower`: the section below (`section()`), None for the unigrams."""
        self.word_lengths = word_lengths
        below = lower[0] if lower else np.zeros(0, dtype=np.uint8)
        self.lower = lower
        self.word_starts = len(below) + np.cumsum(self.word_lengths + 1) - self.word_lengths  # after the space
        self.newline = len(below) + len(spaced)
        self.scratch = self.newline + 1
        self.source = np.empty(self.scratch, dtype=np.uint8)
        self.source[:len(below)] = below
        self.source[len(below):self.newline] = spaced
        self.source[self.newline] = ord("\n")
        if lower:
            self.lower = (None, lower[1], lower[2])  # its text lives on in `source` only
        self.blocks: list[np.ndarray] = []
        self.text_starts: list[np.ndarray] = []
        self.text_lengths: list[np.ndarray] = []
        self.written = 0
        self.keep = keep  # the lines, for the section above

    def lines(self, numbers: list[tuple[np.ndarray, np.ndarray, np.ndarray]], prefix: np.ndarray | None,
              last: np.ndarray) -> np.ndarray:
        """The bytes of the lines of n-grams ending in `last`, after `prefix` (indices in the section
        below; None for unigrams), their numbers formatted by `block_numbers`."""
        self.source, placed = _place(self.source, self.scratch, numbers)
        if prefix is None:
            words = [(self.word_starts[last], self.word_lengths[last])]
        else:
            _, below_starts, below_lengths = self.lower
            words = [(below_starts[prefix], below_lengths[prefix]),
                     (self.word_starts[last] - 1, self.word_lengths[last] + 1)]
        out, lengths = _assemble(self.source, placed, words, self.newline)
        if self.keep:
            line_lengths = lengths.sum(axis=1)
            self.blocks.append(out)
            self.text_starts.append(self.written + np.cumsum(line_lengths) - line_lengths + placed[0][1])
            self.text_lengths.append(sum(n for _, n in words))
            self.written += len(out)
        return out

    def section(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All lines written, and where each n-gram's words start in them and how long they are. Called once,
        at the end: the writer hands them over (and lets go of the section below)."""
        empty = np.zeros(0, dtype=np.int64)
        blocks, starts, lengths = self.blocks, self.text_starts, self.text_lengths
        self.blocks, self.text_starts, self.text_lengths, self.source, self.lower = [], [], [], None, None
        return (np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.uint8),
                np.concatenate(starts) if starts else empty, np.concatenate(lengths) if lengths else empty)


class WordLines:
    """The lines of an ARPA section from each n-gram's word ids, block by block: `SectionWriter`'s lines,
    byte for byte, without the section below (the streaming writer holds no section in memory)."""

    def __init__(self, spaced: np.ndarray, word_lengths: np.ndarray):
        """`spaced`: every word after a space (from `spaced_words`), `word_lengths` their UTF-8 lengths."""
        self.word_lengths = word_lengths
        self.word_starts = np.cumsum(word_lengths + 1) - word_lengths  # after the space
        self.newline = len(spaced)
        self.scratch = self.newline + 1
        self.source = np.empty(self.scratch, dtype=np.uint8)
        self.source[:self.newline] = spaced
        self.source[self.newline] = ord("\n")

    def lines(self, numbers: list[tuple[np.ndarray, np.ndarray, np.ndarray]], ids: np.ndarray) -> np.ndarray:
        """The bytes of the lines of the n-grams whose words are the rows of `ids`, their numbers formatted by
        `block_numbers`."""
        self.source, placed = _place(self.source, self.scratch, numbers)
        words = [(self.word_starts[ids[:, 0]], self.word_lengths[ids[:, 0]])]
        words += [(self.word_starts[ids[:, j]] - 1, self.word_lengths[ids[:, j]] + 1) for j in range(1, ids.shape[1])]
        return _assemble(self.source, placed, words, self.newline)[0]


def _place(source: np.ndarray, scratch: int, numbers: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
           ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """`source` with the formatted `numbers` copied in from `scratch` on (grown if needed), and where each
    number's text now starts and how long it is."""
    size = scratch + sum(len(grid) for grid, _, _ in numbers)
    if len(source) < size:
        source = np.concatenate([source[:scratch], np.empty(size - scratch, np.uint8)])
    at, placed = scratch, []
    for grid, starts, lengths in numbers:
        source[at:at + len(grid)] = grid
        placed.append((starts + at, lengths))
        at += len(grid)
    return source, placed


def _assemble(source: np.ndarray, placed: list[tuple[np.ndarray, np.ndarray]],
              words: list[tuple[np.ndarray, np.ndarray]], newline: int) -> tuple[np.ndarray, np.ndarray]:
    """The lines ``prob TAB words [TAB backoff] NEWLINE`` gathered from `source`, and each line's pieces'
    lengths (a row per line)."""
    rows = len(words[0][0])
    ending = placed[1] if len(placed) > 1 else (np.full(rows, newline), np.ones(rows, dtype=np.int64))
    pieces = [placed[0], *words, ending]
    starts = np.stack([s for s, _ in pieces], axis=1)
    lengths = np.stack([n for _, n in pieces], axis=1)
    return ragged_take(source, starts.ravel(), lengths.ravel()), lengths
