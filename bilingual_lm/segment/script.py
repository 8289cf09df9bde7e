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

Every other script rule of the project is built on the same two character classes (Unicode script Han and
Unicode script Latin), so that a character such as 〇 (U+3007, script Han) is Chinese everywhere:

* `token_script`: a model token's script for the eval's script mass ('han', 'latin' or 'other');
* `is_cjk`: where an answer joins its prompt without a space (Han, CJK punctuation, full-width forms);
* `is_spaced`: where two words are joined with a space (Latin letters and digits);
* `TEXT_UNIT`: the units that the eval's diversity figures count.
"""

from __future__ import annotations

import regex

#: Every character that `str.isspace` accepts (a test checks the list). Gaps between tokens hold these
#: and nothing else. The `regex` module's `\s` leaves out U+001C..U+001F, so patterns use this class.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
WHITESPACE_CLASS = "[" + "".join(f"\\u{ord(c):04x}" for c in WHITESPACE) + "]"

HAN = r"\p{Script=Han}"

_HAN = regex.compile(HAN)
_LATIN = regex.compile(r"\p{Script=Latin}")
_LETTER = regex.compile(r"\p{L}")
_DIGIT = regex.compile(r"\p{N}")
_PUNCT_ONLY = regex.compile(r"\p{P}+")
_SYMBOL_OR_PUNCT_ONLY = regex.compile(r"[\p{P}\p{S}]+")

LANG_TAGS = ("zh", "en", "other", "num", "punct", "sym")
SCRIPTS = ("han", "latin", "other")

#: One unit for distinct-n and type/token: a Han character, a run of Latin letters, ASCII digits and
#: apostrophes, or any other non-space character.
TEXT_UNIT = regex.compile(rf"{HAN}|[\p{{Script=Latin}}0-9']+|[^{WHITESPACE_CLASS[1:-1]}]")
_SPECIAL_TOKEN = regex.compile(r"^<[^<>\s]+>$")  # a model's special or byte token: <0xE4>, <unk>, </s>
_CJK_FORMS = regex.compile(rf"{HAN}|[\u3000-\u303f\uff00-\uffef]")


#: Tags already worked out, by token text (hot loops may read it directly); cleared when it grows large.
TAG_CACHE: dict[str, str] = {}
_TAG_CACHE_LIMIT = 1 << 18


def lang_tag(text: str) -> str:
    """The `lang` tag of a token (see the module docstring for the rules)."""
    tag = TAG_CACHE.get(text)
    if tag is None:
        if len(TAG_CACHE) >= _TAG_CACHE_LIMIT:
            TAG_CACHE.clear()
        tag = TAG_CACHE[text] = _classify(text)
    return tag


def _classify(text: str) -> str:
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


def token_script(token: str) -> str:
    """'han' if the token holds Han characters and no Latin letters, 'latin' the reverse, else 'other'.

    Special and byte-fallback tokens (<unk>, </s>, <0xE4>), punctuation, digits, whitespace and tokens that
    mix both scripts are 'other'.
    """
    if _SPECIAL_TOKEN.match(token):
        return "other"
    han, latin = bool(_HAN.search(token)), bool(_LATIN.search(token))
    if han != latin:
        return "han" if han else "latin"
    return "other"


def is_cjk(char: str) -> bool:
    """A Han character, CJK punctuation (U+3000–U+303F) or a full-width form (U+FF00–U+FFEF)."""
    return bool(_CJK_FORMS.match(char))


def is_spaced(char: str) -> bool:
    """A Latin letter or an ASCII digit: two words that meet at such characters are joined with a space."""
    return ("0" <= char <= "9") or bool(_LATIN.match(char))
