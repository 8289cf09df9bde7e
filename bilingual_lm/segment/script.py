"""Which script a character or token belongs to, and the `lang` tag every segmenter puts on a token.

The tag set, decided by the first rule that matches the token's characters:

========  ============================================================  ==========================
tag       rule                                                          examples
========  ============================================================  ==========================
``zh``    holds a Han character (Unicode script Han: 中, 〇, 々)          我们, U盘, 3D打印
``en``    holds a Latin letter (any accent)                             Python, don't, café, 3rd
``other`` holds a letter of another script, or only marks/controls      Привет, ひらがな, 한국
``num``   holds a digit (any script) and no letter                      42, 3.14, 1,000, ５
``punct`` punctuation only (Unicode category P)                         , 。 「 — ...
``sym``   symbols, or symbols mixed with punctuation (category S)       + $ ° ™ 😀 ++
========  ============================================================  ==========================
"""

from __future__ import annotations

import sys
from functools import lru_cache

import regex

#: Every character that `str.isspace` accepts. Gaps between tokens hold these and nothing else.
#: (The `regex` module's `\s` leaves out U+001C..U+001F, so patterns use this class instead.)
WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
WHITESPACE_CLASS = "[" + "".join(f"\\u{ord(c):04x}" for c in WHITESPACE) + "]"

HAN = r"\p{Script=Han}"

_HAN = regex.compile(HAN)
_LATIN = regex.compile(r"\p{Script=Latin}")
_LETTER = regex.compile(r"\p{L}")
_DIGIT = regex.compile(r"\p{N}")
_PUNCT_ONLY = regex.compile(r"\p{P}+")
_SYMBOL_OR_PUNCT_ONLY = regex.compile(r"[\p{P}\p{S}]+")

LANG_TAGS = ("zh", "en", "other", "num", "punct", "sym")


@lru_cache(maxsize=1 << 17)
def lang_tag(text: str) -> str:
    """The `lang` tag of a token (see the module docstring for the rules)."""
    if _HAN.search(text):
        return "zh"
    if _LATIN.search(text):
        return "en"
    if _LETTER.search(text):
        return "other"
    if _DIGIT.search(text):
        return "num"
    if _PUNCT_ONLY.fullmatch(text):
        return "punct"
    if _SYMBOL_OR_PUNCT_ONLY.fullmatch(text):
        return "sym"
    return "other"
