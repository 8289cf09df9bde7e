"""The character segmenter: every non-whitespace character is a token (the usual baseline for Chinese)."""

from __future__ import annotations

import regex

from bilingual_lm.segment.base import Token, register_segmenter
from bilingual_lm.segment.script import WHITESPACE_CLASS, lang_tag

# One grapheme cluster, so that a letter keeps its combining accent and an emoji its modifiers.
_CHARACTER = regex.compile(r"(?!" + WHITESPACE_CLASS + r")\X")


@register_segmenter("char")
class CharSegmenter:
    """`"我爱 NLP。"` -> 我 | 爱 | N | L | P | 。, each tagged by its script."""

    name = "char"

    def segment(self, text: str) -> list[Token]:
        return [Token(m.group(), lang_tag(m.group()), m.start(), m.end()) for m in _CHARACTER.finditer(text)]
