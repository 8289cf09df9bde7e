"""The mixed (code-switched) segmenter: script runs, each sent to the segmenter for its script.

``我用Python写了一个LM demo。`` -> 我 | 用 | Python | 写 | 了 | 一个 | LM | demo | 。

1. Pieces that must stay whole whatever script surrounds them are found first: user-dictionary phrases
   holding any non-Han character (``U盘``, ``LM demo``), then URLs and e-mail addresses.
2. The rest splits into runs of Han characters and runs of everything else.
3. Han runs go to the Chinese segmenter (jieba); the other runs (Latin, digits, other scripts,
   punctuation, full-width punctuation such as ，。！？：；「」（）) go to the English tokenizer,
   which keeps numbers, hyphenated words and contractions whole and makes each punctuation mark
   its own token.

Options are the Chinese segmenter's (`mode`, `hmm`, `user_dict`, `user_words`, `backend`); in
``search`` and ``full`` modes the tokens of Han runs may overlap (see `bilingual_lm.segment.chinese`).
"""

from __future__ import annotations

import regex

from bilingual_lm.segment.base import Token, register_segmenter
from bilingual_lm.segment.chinese import ChineseSegmenter
from bilingual_lm.segment.english import EMAIL, URL, english_tokens
from bilingual_lm.segment.script import HAN, lang_tag
from bilingual_lm.segment.userdict import PhraseMatcher

_HAN_RUN = regex.compile(HAN + "+")


@register_segmenter("auto")
class MixedSegmenter:
    """Chinese, English and code-switched text alike (rules in the module docstring)."""

    name = "auto"

    def __init__(self, **chinese_options):
        self.chinese = ChineseSegmenter(**chinese_options)
        phrases = [e.word for e in self.chinese.user_words if not _HAN_RUN.fullmatch(e.word)]
        self._user_phrases = PhraseMatcher(phrases)
        whole = [self._user_phrases.pattern] if self._user_phrases else []
        self._whole = regex.compile("(?V1)" + "|".join([*whole, URL, EMAIL]))

    def segment(self, text: str) -> list[Token]:
        tokens, position = [], 0
        for match in self._whole.finditer(text):
            tokens += self._runs(text[position : match.start()], position)
            tokens.append(Token(match.group(), lang_tag(match.group()), match.start(), match.end()))
            position = match.end()
        return tokens + self._runs(text[position:], position)

    def _runs(self, text: str, offset: int) -> list[Token]:
        tokens, position = [], 0
        for run in _HAN_RUN.finditer(text):
            tokens += english_tokens(text[position : run.start()], offset + position)
            tokens += self.chinese.segment_at(run.group(), offset + run.start())
            position = run.end()
        return tokens + english_tokens(text[position:], offset + position)
