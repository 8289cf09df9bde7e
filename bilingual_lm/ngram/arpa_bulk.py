"""ARPA n-gram sections read in bulk: numpy over the text's bytes, no Python object per line.

`read_arpa` reads the header line by line, then hands the rest of the file here. This reads the plain layout
that KenLM and `write_arpa` write: after each `\\N-grams:` line, exactly the header's count of lines
``number TAB word SPACE word … [TAB number]``, then blank lines, and `\\end\\` after the last section; the numbers
decimals (``-1.25``, ``-99``; any other form goes through `float`). Anything else (a stray space, whitespace
other than tab, space and newline, a word not among the unigrams, a line too long) returns None, and the
line-by-line reader reads the file again and names the problem. Both give the same tables (tested).
"""

from __future__ import annotations

import math

import numpy as np

from bilingual_lm.ngram.lines import ASCII_SPACE, OTHER_SPACES, WordKeys

LOG_ZERO = -99.0  # at or below: log10 0
MAX_LINE = 1 << 16  # characters: an ARPA line holds a few numbers and at most MAX_ORDER words
MAX_IDLE_LINES = 10_000  # blank or comment lines in a row: more is not an ARPA file (a gzip bomb, say)
_ODD_SPACE = ASCII_SPACE.copy()  # whitespace to str.split that the plain layout never has
_ODD_SPACE[[*b" \t\n"]] = False
_POW10 = 10.0 ** np.arange(23)  # exact in float64
_SIMPLE_DIGITS = 15  # m / 10**k is correctly rounded when m (at most this many digits) and 10**k are exact


class Unplaced(Exception):
    """An n-gram whose prefix (of order `prefix`) is missing, or that appears twice (`assemble`): its order and
    row in the file's order."""

    def __init__(self, order: int, row: int, prefix: int | None = None):
        super().__init__(f"{order}-gram {row}")
        self.order, self.row, self.prefix = order, row, prefix


def assemble(ids: list[np.ndarray], probs: list[np.ndarray], backoffs: list[np.ndarray], size: int):
    """The sorted trie keys of orders 2… from each n-gram's word ids (rows × n), with their log10 values in the
    same order; raises `Unplaced` for an n-gram whose prefix is not listed, or one listed twice."""
    keys, prob, backoff = [np.arange(size, dtype=np.int64)], [probs[0]], [backoffs[0]]
    for n, (words, p, b) in enumerate(zip(ids[1:], probs[1:], backoffs[1:], strict=True), start=2):
        index = words[:, 0]
        for j in range(1, n - 1):  # the index of each n-gram's (n-1)-word prefix
            table, key = keys[j], index * size + words[:, j]
            pos = np.searchsorted(table, key).clip(max=max(len(table) - 1, 0))
            missing = np.flatnonzero((table[pos] != key) if len(table) else np.ones(len(key), bool))
            if len(missing):
                raise Unplaced(n, int(missing[0]), prefix=j + 1)
            index = pos
        key = index * size + words[:, n - 1]
        order = np.argsort(key, kind="stable")
        key = key[order]
        repeated = np.flatnonzero(np.diff(key) == 0)
        if len(repeated):
            raise Unplaced(n, int(order[repeated[0] + 1]))
        keys.append(key)
        prob.append(p[order])
        backoff.append(b[order])
    return keys, prob, backoff


def read_sections(text: bytes, counts: list[int]):
    """The sections of `text` (the file from its `\\1-grams:` line on): its bytes as an array, and per order the
    log10 probabilities, back-off weights and word spans (rows × n × 2, byte offsets) in file order; None where
    the text is not plain (see the module's docstring)."""
    if not text:
        return None
    data = np.frombuffer(text, dtype=np.uint8)
    if _ODD_SPACE[data].any():
        return None
    ends = np.flatnonzero(data == ord("\n"))
    if not len(data) or data[-1] != ord("\n"):
        ends = np.append(ends, len(data))
    starts = np.concatenate([[0], ends[:-1] + 1])
    lines = _Lines(data, starts, ends)
    headers = np.flatnonzero((ends > starts) & (data[np.minimum(starts, len(data) - 1)] == ord("\\")))
    expected = [f"\\{n}-grams:".encode() for n in range(1, len(counts) + 1)] + [b"\\end\\"]
    if len(headers) < len(expected) or any(lines.text(h) != e for h, e in zip(headers, expected, strict=False)):
        return None
    if not lines.blank(0, headers[0]):
        return None
    sections = []
    for n, count in enumerate(counts, start=1):
        first, after = headers[n - 1] + 1, headers[n]
        if after - first < count or not lines.blank(first + count, after):
            return None
        section = _section(data, starts[first:first + count], ends[first:first + count], n)
        if section is None:
            return None
        sections.append(section)
    return data, sections


def unigram_words(data: np.ndarray, spans: np.ndarray) -> list[str] | None:
    """The words of the unigram section (spans rows × 1 × 2); None if one is not UTF-8 or holds whitespace beyond
    ASCII, where `str.split` would part it (every word of the higher orders must be one of these)."""
    text = data.tobytes()
    try:
        words = [text[start:end].decode("utf-8")
                 for start, end in zip(spans[:, 0, 0].tolist(), spans[:, 0, 1].tolist(), strict=True)]
    except UnicodeDecodeError:
        return None  # the line-by-line reader names the file as not UTF-8
    joined = "\n".join(words)
    return None if any(space in joined for space in OTHER_SPACES) else words


class _Lines:
    def __init__(self, data: np.ndarray, starts: np.ndarray, ends: np.ndarray):
        self.data, self.starts, self.ends = data, starts, ends

    def text(self, line: int) -> bytes:
        return self.data[self.starts[line]:self.ends[line]].tobytes()

    def blank(self, first: int, after: int) -> bool:
        """Lines first…after-1 are all empty (a line of spaces is left to the line-by-line reader)."""
        return bool((self.ends[first:after] == self.starts[first:after]).all()) and after - first <= MAX_IDLE_LINES


def _section(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, n: int):
    """(log10 p, back-off, word spans (rows × n × 2) as byte offsets) of the lines of one order, or None."""
    count = len(starts)
    if not count:
        return np.zeros(0), np.zeros(0), np.zeros((0, n, 2), dtype=np.int64)
    if (ends - starts).max() > MAX_LINE:
        return None
    region = slice(int(starts[0]), int(ends[-1]))
    tabs = np.flatnonzero(data[region] == ord("\t")) + region.start
    spaces = np.flatnonzero(data[region] == ord(" ")) + region.start
    tab_counts = np.diff(np.searchsorted(tabs, np.append(starts, ends[-1])))
    if len(spaces) != (n - 1) * count or not np.isin(tab_counts, (1, 2)).all():
        return None
    first = np.searchsorted(tabs, starts)  # each line's first tab, in `tabs`
    first_tab, second = tabs[first], tab_counts == 2
    words_end = np.where(second, tabs[np.minimum(first + 1, len(tabs) - 1)], ends)
    parts = spaces.reshape(count, n - 1)  # each line's spaces, if each has n - 1
    if not ((parts > first_tab[:, None]).all() and (parts < words_end[:, None]).all()):
        return None  # each line's spaces, and only they, part its words
    bounds = np.concatenate([(first_tab + 1)[:, None], parts, words_end[:, None]], axis=1)
    word_starts = bounds[:, :-1] + (np.arange(n) > 0)  # a word after a space starts one past it
    word_ends = bounds[:, 1:]
    if (word_ends <= word_starts).any() or (first_tab <= starts).any() or (second & (words_end + 1 >= ends)).any():
        return None  # an empty word or number
    prob = _decimals(data, starts, first_tab - starts)
    backoff = np.zeros(count)
    if second.any():
        rows = np.flatnonzero(second)
        backoff[rows] = _decimals(data, words_end[rows] + 1, ends[rows] - words_end[rows] - 1)
    if np.isnan(prob).any() or np.isnan(backoff).any() or (prob > 0).any() or (backoff == math.inf).any():
        return None
    return prob, backoff, np.stack([word_starts, word_ends], axis=2)


def word_ids(data: np.ndarray, spans: np.ndarray, keys: WordKeys) -> np.ndarray | None:
    """The vocabulary id of every word span (rows × n × 2), or None if a word is not in the vocabulary."""
    ids = keys.ids(data, spans[:, :, 0].ravel(), (spans[:, :, 1] - spans[:, :, 0]).ravel(), -1)
    return None if (ids < 0).any() else ids.reshape(spans.shape[:2])


def _decimals(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each field's number as `float` reads it (NaN where it does not read, or reads NaN or +inf), at or below
    -99 as -inf. Fields ``[-]digits[.digits]`` of at most 15 digits are m / 10**k, both exact, one correctly
    rounded division as `float` does it; the others go through `float`."""
    width = int(lengths.max())
    padded = np.concatenate([data, np.zeros(width, dtype=np.uint8)])
    # column c of the grid: each field's byte c (0 past its end)
    grid = np.ascontiguousarray(np.lib.stride_tricks.sliding_window_view(padded, width)[starts].T)
    grid *= np.arange(width)[:, None] < lengths
    negative = grid[0] == ord("-")
    grid[0][negative] = 0
    digit = (grid - np.uint8(ord("0"))) <= 9
    point = grid == ord(".")
    digits, points = digit.sum(axis=0), point.sum(axis=0)
    simple = (digit | point | (grid == 0)).all(axis=0) & (points <= 1) & (digits >= 1) & (digits <= _SIMPLE_DIGITS)
    mantissa = np.zeros(len(starts))  # exact: below 10**15
    scale = np.zeros(len(starts), dtype=np.int64)  # digits after the point
    past_point = np.zeros(len(starts), dtype=bool)
    for column in range(width):
        np.copyto(mantissa, mantissa * 10 + (grid[column] - ord("0")), where=digit[column])
        past_point |= point[column]
        scale += digit[column] & past_point
    values = mantissa / _POW10[np.minimum(scale, 22)]
    values[negative] *= -1
    for row in np.flatnonzero(~simple).tolist():
        values[row] = _read_float(data[starts[row]:starts[row] + lengths[row]].tobytes())
    values[values <= LOG_ZERO] = -math.inf
    return values


def _read_float(text: bytes) -> float:
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return math.nan if value == math.inf else value
