"""Lines of space-separated words to vocabulary ids in bulk, without a Python string per word.

`str.split` and a dictionary lookup cost about 0.4 µs a word, more than the n-gram query itself. Here the lines
are joined and encoded to UTF-8 once; numpy finds the words' byte spans, reads each word's first 15 bytes as
two integers (its length in the top byte), and looks these keys up in a `ProbingTable` of the vocabulary's
words. Only words longer than 15 bytes (five or more Chinese characters) go through a dictionary. The words are
exactly `str.split`'s: a text with whitespace outside ASCII (U+3000 and the like) is split by `str.split`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bilingual_lm.ngram.probing import ProbingTable

PACKED_BYTES = 15  # a word this long or shorter is its own key; longer ones are looked up by their bytes
_PREFIX_MASK = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)  # the low n bytes
ASCII_SPACE = np.zeros(256, dtype=bool)
ASCII_SPACE[[*b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"]] = True  # what str.split splits at below U+0080
# str.split's other separators: every code point above U+007F with str.isspace
OTHER_SPACES = ("\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                "\u2028\u2029\u202f\u205f\u3000")


class WordKeys:
    """Words (id = position) as packed keys, for `ids`: the byte spans `data[start:start+length]`."""

    def __init__(self, data: np.ndarray, starts: np.ndarray, lengths: np.ndarray):
        short = np.flatnonzero(lengths <= PACKED_BYTES)
        self.table = ProbingTable(pack(data, starts[short], lengths[short]), short, spread=4)
        self.long = {data[starts[i]:starts[i] + lengths[i]].tobytes(): i
                     for i in np.flatnonzero(lengths > PACKED_BYTES).tolist()}

    @classmethod
    def of(cls, words: Sequence[str]) -> WordKeys:
        encoded = [word.encode("utf-8", "surrogatepass") for word in words]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        starts = np.zeros(len(encoded), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), starts, lengths)

    def ids(self, data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, missing: int) -> np.ndarray:
        """The id of each word (the bytes `data[start:start+length]`), `missing` where it is not a word here."""
        ids = self.table.find(pack(data, starts, lengths))
        long = np.flatnonzero(lengths > PACKED_BYTES)
        ids[long] = [self.long.get(data[start:start + length].tobytes(), -1)
                     for start, length in zip(starts[long].tolist(), lengths[long].tolist(), strict=True)]
        ids[ids < 0] = missing
        return ids


def pack(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each word's first 15 bytes as two little-endian uint64 (zeros after the word), its length (≤ 255 kept
    exact, so no word is taken for another of its prefixes) in the top byte of the second."""
    padded = np.concatenate([data, np.zeros(16, dtype=np.uint8)])
    # every byte offset read as a uint64 (unaligned): a word's first 8 bytes are one element
    words8 = np.ndarray(shape=(len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
    low = words8[starts] & _PREFIX_MASK[np.minimum(lengths, 8)]
    high = words8[starts + 8] & _PREFIX_MASK[np.clip(lengths - 8, 0, 7)]
    return low, high | (np.minimum(lengths, 255).astype(np.uint64) << np.uint64(56))


def split_lines(lines: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The lines' UTF-8 bytes and their words as `str.split` finds them: (bytes, word starts, word lengths,
    words per line); None where only `str.split` itself can say (whitespace beyond ASCII, a newline in a line)."""
    text = "\n".join(lines)
    if text.count("\n") != max(len(lines) - 1, 0) or any(space in text for space in OTHER_SPACES):
        return None
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    space = np.ones(len(data) + 2, dtype=bool)
    space[1:-1] = ASCII_SPACE[data]
    edges = np.flatnonzero(space[1:] != space[:-1])  # a word starts after a space and ends before one
    starts, ends = edges[0::2], edges[1::2]
    line_ends = np.searchsorted(starts, np.flatnonzero(data == ord("\n")))  # words before each line's end
    words_per_line = np.diff(line_ends, prepend=0, append=len(starts)) if len(lines) else np.zeros(0, np.int64)
    return data, starts, ends - starts, words_per_line
