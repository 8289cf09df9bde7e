"""jieba's accurate mode, word for word, with character offsets and a faster best-path search.

jieba 0.42's ``Tokenizer.cut(text, HMM=...)`` does, for each run of ``[\\u4E00-\\u9FD5a-zA-Z0-9+#&._%-]``:

1. build a DAG of the dictionary words starting at each position (``get_DAG``);
2. pick the most probable path right to left, score ``log(freq or 1) - log(total)`` per word, ties going
   to the longer word (``calc``: ``max((score, end) ...)``);
3. walk the path; with HMM, runs of single characters that do not form a dictionary word go to
   ``jieba.finalseg.cut`` (its HMM for unknown words); without HMM, runs of single ASCII letters and
   digits are joined.

Outside those runs every character is its own word. This module does the same with the same floating
point operations in the same order, so the words are identical (tests compare it with ``jieba.lcut``),
but it folds steps 1 and 2 into one pass and looks the log-probabilities up in a table built once per
dictionary, instead of calling ``log`` per candidate word. Whitespace is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from math import log

JIEBA_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")  # jieba.re_han_default
_ASCII_ALNUM = re.compile(r"[a-zA-Z0-9]")  # jieba.re_eng

def log_probabilities(tokenizer) -> dict[str, float]:
    """``log(freq) - log(total)`` for every word of the tokenizer's dictionary that has a frequency."""
    log_total = log(tokenizer.total)
    return {word: log(freq) - log_total for word, freq in tokenizer.FREQ.items() if freq}


def accurate_words(tokenizer, table: dict[str, float], text: str, hmm: bool = True) -> Iterator[tuple[str, int, int]]:
    """``(word, start, end)`` for the words of ``tokenizer.cut(text, HMM=hmm)``, whitespace left out.

    `table` is ``log_probabilities(tokenizer)``, built after the last change to the dictionary.
    """
    from jieba import finalseg

    freq = tokenizer.FREQ
    unknown = log(1) - log(tokenizer.total)  # jieba's score for a word it does not know
    position = 0
    for block in JIEBA_BLOCK.finditer(text):
        for i in range(position, block.start()):
            if not text[i].isspace():
                yield text[i], i, i + 1
        position = block.end()
        sentence, offset = block.group(), block.start()
        ends = _best_path(sentence, freq, table, unknown)
        if hmm:
            yield from _walk_with_hmm(sentence, offset, ends, freq, finalseg.cut)
        else:
            yield from _walk_without_hmm(sentence, offset, ends)
    for i in range(position, len(text)):
        if not text[i].isspace():
            yield text[i], i, i + 1


def _best_path(sentence: str, freq: dict, table: dict, unknown: float) -> list[int]:
    """For each start, the end (exclusive) of the word on jieba's most probable path."""
    n = len(sentence)
    score = [0.0] * (n + 1)
    ends = [0] * (n + 1)
    for start in range(n - 1, -1, -1):
        best, best_end = None, start + 1
        i, fragment = start, sentence[start]
        while i < n and fragment in freq:
            if freq[fragment]:
                candidate = table[fragment] + score[i + 1]
                if best is None or candidate >= best:  # ties to the longer word, as max((score, end))
                    best, best_end = candidate, i + 1
            i += 1
            fragment = sentence[start : i + 1]
        if best is None:  # no dictionary word here: the single character, scored as unknown
            best = unknown + score[start + 1]
        score[start], ends[start] = best, best_end
    return ends


def _walk_with_hmm(sentence, offset, ends, freq, hmm_cut) -> Iterator[tuple[str, int, int]]:
    n, x, buffer_start = len(sentence), 0, None
    while x < n:
        y = ends[x]
        if y - x == 1:
            if buffer_start is None:
                buffer_start = x
        else:
            if buffer_start is not None:
                yield from _flush(sentence, offset, buffer_start, x, freq, hmm_cut)
                buffer_start = None
            yield sentence[x:y], offset + x, offset + y
        x = y
    if buffer_start is not None:
        yield from _flush(sentence, offset, buffer_start, n, freq, hmm_cut)


def _flush(sentence, offset, start, end, freq, hmm_cut) -> Iterator[tuple[str, int, int]]:
    """A run of single characters: one word, the HMM's words if it is unknown, else one per character."""
    buffer = sentence[start:end]
    if end - start == 1:
        yield buffer, offset + start, offset + end
    elif not freq.get(buffer):
        position = offset + start
        for word in hmm_cut(buffer):
            yield word, position, position + len(word)
            position += len(word)
    else:
        for i in range(start, end):
            yield sentence[i], offset + i, offset + i + 1


def _walk_without_hmm(sentence, offset, ends) -> Iterator[tuple[str, int, int]]:
    n, x, latin_start = len(sentence), 0, None
    while x < n:
        y = ends[x]
        if y - x == 1 and _ASCII_ALNUM.match(sentence[x]):
            if latin_start is None:
                latin_start = x
        else:
            if latin_start is not None:
                yield sentence[latin_start:x], offset + latin_start, offset + x
                latin_start = None
            yield sentence[x:y], offset + x, offset + y
        x = y
    if latin_start is not None:
        yield sentence[latin_start:n], offset + latin_start, offset + n
