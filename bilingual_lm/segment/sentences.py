"""Sentence splitting for Chinese, English and code-switched text.

A sentence ends:

- after a run of Chinese terminators ``。！？；…`` (also ``！？``, ``……``), wherever it stands;
- after a run of ``. ! ?`` followed by whitespace or the end of the text, unless the period closes a
  common abbreviation (``Mr.``, ``e.g.``, ``U.S.``) or a single capital initial (``J. Smith``), or
  the next word starts in lower case;
- at a blank line.

Closing quotes and brackets right after the terminator belong to the sentence that ends:
``他说：“好！”我们走吧。`` -> ``他说：“好！”`` | ``我们走吧。``. Sentences carry their span in the
text; leading and trailing whitespace is not part of a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from bilingual_lm.segment.script import WHITESPACE_CLASS

_CLOSERS = r"[\"'”’」』）》〉】〕〗〙〛)\]}]*"
_ZH_END = r"(?:[。！？；…]|[!?](?=[^\x00-\x7f]))+" + _CLOSERS
_EN_END = r"[.!?]+" + _CLOSERS + r"(?=" + WHITESPACE_CLASS + r"|\Z)"
_BLANK_LINE = r"(?<=\S)(?=[ \t]*\n[ \t]*\n)"
_BOUNDARY = regex.compile(r"(?V1)" + _ZH_END + "|" + _EN_END + "|" + _BLANK_LINE)
_NEXT_WORD = regex.compile(WHITESPACE_CLASS + r"*(\S)")

ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st vs etc e.g i.e cf al fig no vol pp ca approx dept est inc ltd co corp "
    "jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun u.s u.k a.m p.m".split()
)


@dataclass(frozen=True)
class Sentence:
    """One sentence and its span `[start, end)` in the text."""

    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of `text`, in order (rules in the module docstring)."""
    sentences, start = [], 0
    for match in _BOUNDARY.finditer(text):
        if match.group().startswith(".") and _is_abbreviation(text, match.start()):
            continue
        if match.group()[:1] in ".!?" and _next_starts_lower(text, match.end()):
            continue
        _append(sentences, text, start, match.end())
        start = match.end()
    _append(sentences, text, start, len(text))
    return sentences


def _is_abbreviation(text: str, period: int) -> bool:
    word = regex.search(r"[\p{L}.]*$", text[:period]).group().lower()
    return word in ABBREVIATIONS or (len(word) == 1 and text[period - 1].isupper())


def _next_starts_lower(text: str, position: int) -> bool:
    following = _NEXT_WORD.match(text, position)
    return bool(following and following.group(1).islower())


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        begin = start + len(piece) - len(piece.lstrip())
        sentences.append(Sentence(stripped, begin, begin + len(stripped)))
