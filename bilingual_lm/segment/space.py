"""The whitespace segmenter: one token per run of non-whitespace, for text that is already tokenized."""

from __future__ import annotations

import re

from bilingual_lm.segment.base import Token, register_segmenter
from bilingual_lm.segment.script import lang_tag

_NON_SPACE = re.compile(r"\S+")  # `re`'s \s is exactly str.isspace


@register_segmenter("space")
class SpaceSegmenter:
    """Split on whitespace only, as KenLM reads its training files: `"我 爱 NLP"` -> 我 | 爱 | NLP."""

    name = "space"

    def segment(self, text: str) -> list[Token]:
        return [Token(m.group(), lang_tag(m.group()), m.start(), m.end()) for m in _NON_SPACE.finditer(text)]

    def words(self, text: str) -> list[str]:
        """The tokens' texts alone, for training: `str.split` splits at the same characters."""
        return text.split()

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The tokens' spans alone, for scoring files in bulk."""
        return [match.span() for match in _NON_SPACE.finditer(text)]
