"""The English word tokenizer: one regular expression, rules tried in this order at each position.

1. URLs (``https://…``, ``ftp://…``, ``www.…``, and bare domains with a common top-level domain such
   as ``github.com/x`` or ``example.cn``) whole. A URL stops at whitespace, ``<>"``, Han characters
   and full-width punctuation, and drops trailing ``.,;:!?'"`` and an unbalanced ``)``:
   ``(see https://en.wikipedia.org/wiki/C_(language)).`` -> ``( see https://…/C_(language) ) .``
2. E-mail addresses whole: ``ada@example.org``.
3. Numbers: digit runs joined by single ``. , : / -`` between digits: ``3.14``, ``1,000``,
   ``2026-11-29``, ``10:30``, ``1/2``. A sign or unit stays apart: ``-5`` -> ``- 5``, ``50%`` -> ``50 %``.
4. Words: letters, marks and digits of any script but Han, joined by single inner hyphens and
   apostrophes, so hyphenated words and contractions stay one token: ``don't``, ``you're``,
   ``O'Neill``, ``well-known``, ``COVID-19``, ``café``, ``3rd``. An apostrophe or hyphen at a word's edge
   is punctuation: ``students'`` -> ``students '``.
5. Anything else that is not whitespace, one user-perceived character (grapheme cluster) at a time:
   every punctuation mark is its own token (``...`` -> ``. . .``), and so is each Han character.

Case is preserved. Tokens carry the tags of `bilingual_lm.segment.script`.
"""

from __future__ import annotations

import regex

from bilingual_lm.segment.base import Token, register_segmenter
from bilingual_lm.segment.script import WHITESPACE_CLASS, lang_tag

_WORD_CHAR = r"[\p{L}\p{M}\p{N}--\p{Script=Han}]"
_INNER_JOINER = r"[-'\u2019\u2010\u2011]"
# Characters a URL may hold: not whitespace, not <>", not Han, not CJK or full-width punctuation.
_URL_CHAR = r"[^" + WHITESPACE_CLASS[1:-1] + r"<>\"\p{Script=Han}\u3000-\u303f\uff00-\uffef()]"
_URL_END = r"[" + _URL_CHAR[1:-1] + r".,;:!?'\"]"  # the same, less the marks a URL cannot end with
_URL_PART = r"(?:\(" + _URL_CHAR + r"*\)|" + _URL_CHAR + r")"
_URL_LAST = r"(?:\(" + _URL_CHAR + r"*\)|" + _URL_END + r")"

_ALNUM = r"[\p{L}\p{N}--\p{Script=Han}]"
# A bare domain (no scheme, no www.) counts only with a common top-level domain: ``github.com/x``. Its labels
# are bounded as DNS bounds them (63 characters) and at most 16 are read: `regex` backtracks an unbounded
# repeated group in quadratic time (20,000 characters of ``a.a.a.…`` took 21 s).
_BARE_DOMAIN = (
    r"(?<![[\p{L}\p{N}@.\-]--\p{Script=Han}])(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,16}"
    r"(?i:com|org|net|edu|gov|int|mil|io|ai|dev|app|info|biz|co|me|cn|hk|tw|jp|kr|uk|de|fr|eu|ru)"
    r"(?!" + _ALNUM + r"|-)(?:/(?:" + _URL_PART + r"*" + _URL_LAST + r")?)?"
)
URL = r"(?:(?:(?i:https?|ftp)://|(?i:www)\.)" + _URL_PART + r"*" + _URL_LAST + "|" + _BARE_DOMAIN + ")"
# An address starts only where the characters it may hold start (the lookbehind): tried inside a long run of
# them, it would rescan the rest of the run from every position (quadratic).
_EMAIL_CHAR = r"[\p{L}\p{N}\-~--\p{Script=Han}]"
EMAIL = (r"(?<![\p{L}\p{N}._%+\-~--\p{Script=Han}])[\p{L}\p{N}._%+\-~--\p{Script=Han}]+@" + _EMAIL_CHAR + r"+(?:\."
         + _EMAIL_CHAR + r"+)+")
NUMBER = r"\p{Nd}+(?:[.,:/\-]\p{Nd}+)+"
WORD = _WORD_CHAR + r"+(?:" + _INNER_JOINER + _WORD_CHAR + r"+)*"
ONE_CHARACTER = r"(?!" + WHITESPACE_CLASS + r")\X"

_TOKEN_PATTERN = regex.compile(r"(?V1)" + "|".join([URL, EMAIL, NUMBER, WORD, ONE_CHARACTER]))


def english_tokens(text: str, offset: int = 0) -> list[Token]:
    """The tokens of `text`, with spans shifted by `offset` (where `text` sits in a longer text)."""
    return [
        Token(m.group(), lang_tag(m.group()), m.start() + offset, m.end() + offset)
        for m in _TOKEN_PATTERN.finditer(text)
    ]


@register_segmenter("en")
class EnglishSegmenter:
    """Rule-based English word tokenizer (rules in the module docstring)."""

    name = "en"

    def segment(self, text: str) -> list[Token]:
        return english_tokens(text)
