"""The Chinese segmenter: jieba (or rjieba) behind the `Token` interface, with user dictionaries.

Modes (jieba's):

- ``accurate`` (default): jieba's ``cut``, word for word, computed with offsets by
  `bilingual_lm.segment.jieba_spans` (faster than ``cut`` itself); tokens do not overlap.
- ``search``: accurate mode plus, inside each word longer than two characters, the 2- and 3-character
  words jieba knows (``中华人民共和国`` also yields 中华, 华人, 人民, 共和, 共和国).
- ``full``: every dictionary word found anywhere (jieba's ``cut_all``).

In ``search`` and ``full`` modes tokens overlap: they come sorted by ``(start, end)``, and every
character outside whitespace is covered by at least one token. These are the only modes in the
package whose tokens overlap; ``accurate`` keeps the `Token` contract (in order, disjoint, whitespace
gaps). jieba's whitespace tokens are dropped; in ``full`` mode a run of non-word characters (``，。``)
becomes one token per character, as in ``accurate`` mode. ``backend="rjieba"`` (jieba-rs) offers
``accurate`` and ``search``; its ``cut_all`` gives no offsets.

jieba's dictionary is loaded once per process into a private ``jieba.Tokenizer`` whose cache file
lives in ``paths.cache_dir("jieba")``. A segmenter with user words works on its own copy, so two
segmenters never see each other's words. See `bilingual_lm.segment.userdict` for the entries that
jieba cannot keep whole and how they are protected.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from bilingual_lm.errors import InputError
from bilingual_lm.optional import require
from bilingual_lm.paths import cache_dir
from bilingual_lm.segment.base import Token, register_segmenter
from bilingual_lm.segment.jieba_spans import JIEBA_BLOCK, accurate_spans, full_spans, log_probabilities
from bilingual_lm.segment.script import TAG_CACHE, lang_tag
from bilingual_lm.segment.userdict import PhraseMatcher, UserWord, load_user_words

MODES = ("accurate", "search", "full")
BACKENDS = ("jieba", "rjieba")


@lru_cache(maxsize=1)
def default_jieba_tokenizer():
    """jieba's default dictionary, loaded once per process, its cache in the per-user cache folder."""
    import jieba

    from bilingual_lm.segment import jieba_hmm

    jieba_hmm.install()  # jieba's own HMM is quadratic in the length of a run of one script
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(cache_dir("jieba"))
    logger = logging.getLogger("jieba")
    level = logger.level
    logger.setLevel(logging.WARNING)  # jieba reports the load at DEBUG level on stderr
    try:
        tokenizer.initialize()
    finally:
        logger.setLevel(level)
    return tokenizer


@lru_cache(maxsize=1)
def default_log_probabilities() -> dict[str, float]:
    """The word scores of jieba's default dictionary (see `bilingual_lm.segment.jieba_accurate`)."""
    return log_probabilities(default_jieba_tokenizer())


@lru_cache(maxsize=1)
def default_rjieba_tokenizer():
    """rjieba's default dictionary, loaded once per process."""
    return _new_rjieba()


def _new_rjieba():
    return require("rjieba", "the segmenter backend 'rjieba'").Jieba()


def jieba_tokenizer_with(words: Iterable[UserWord]):
    """A private jieba tokenizer: the default dictionary (copied, not reloaded) plus `words`."""
    import jieba

    default = default_jieba_tokenizer()
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = default.tmp_dir
    tokenizer.FREQ, tokenizer.total = dict(default.FREQ), default.total
    tokenizer.initialized = True
    for entry in words:
        tokenizer.add_word(entry.word, entry.freq, entry.tag)
    return tokenizer


def rjieba_tokenizer_with(words: Iterable[UserWord]):
    """A private rjieba tokenizer holding the default dictionary plus `words`."""
    tokenizer = _new_rjieba()
    for entry in words:
        tokenizer.add_word(entry.word, entry.freq, entry.tag)
    return tokenizer


@register_segmenter("zh")
class ChineseSegmenter:
    """jieba word segmentation: ``ChineseSegmenter().segment("我爱北京天安门")`` -> 我 | 爱 | 北京 | 天安门.

    Options: `mode` (accurate, search, full), `hmm` (jieba's HMM for unknown words), `user_dict`
    (dictionary file paths), `user_words` (words or `UserWord`s), `backend` (jieba or rjieba).
    """

    name = "zh"

    def __init__(
        self,
        mode: str = "accurate",
        hmm: bool = True,
        user_dict: str | Path | Iterable[str | Path] = (),
        user_words: Iterable[str | UserWord] = (),
        backend: str = "jieba",
    ):
        if mode not in MODES:
            raise InputError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        if backend not in BACKENDS:
            raise InputError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        if backend == "rjieba" and mode == "full":
            raise InputError("mode 'full' needs backend 'jieba' (rjieba's full mode gives no offsets)")
        self.mode, self.hmm, self.backend = mode, hmm, backend
        files = [user_dict] if isinstance(user_dict, str | Path) else list(user_dict)
        self.user_words = load_user_words(files, user_words)
        self.protected = PhraseMatcher(e.word for e in self.user_words if not JIEBA_BLOCK.fullmatch(e.word))
        learnable = [e for e in self.user_words if JIEBA_BLOCK.fullmatch(e.word)]
        if backend == "jieba" and learnable:
            self._tokenizer = jieba_tokenizer_with(learnable)
            self._log_probabilities = log_probabilities(self._tokenizer)
        elif backend == "jieba":
            self._tokenizer, self._log_probabilities = default_jieba_tokenizer(), default_log_probabilities()
        else:
            self._tokenizer = rjieba_tokenizer_with(learnable) if learnable else default_rjieba_tokenizer()
        self._cut = {
            ("jieba", "accurate"): self._jieba_accurate,
            ("jieba", "search"): self._jieba_search,
            ("jieba", "full"): self._jieba_full,
            ("rjieba", "accurate"): self._rjieba_tokenize,
            ("rjieba", "search"): self._rjieba_tokenize,
        }[backend, mode]

    def segment(self, text: str) -> list[Token]:
        return self.segment_at(text, 0)

    def words(self, text: str) -> list[str]:
        """The words of `segment(text)` without their `Token`s (for training on large files); accurate
        mode without protected user words takes the backend's plain cut, else the tokens' texts."""
        if self.mode != "accurate" or self.protected:
            return [token.text for token in self.segment(text)]
        if self.backend == "rjieba":
            return [word for word in self._tokenizer.cut(text, hmm=self.hmm) if not word.isspace()]
        return [text[start:end] for start, end in accurate_spans(self._tokenizer, self._log_probabilities, text,
                                                                 self.hmm)]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The spans of `segment(text)` without their `Token`s (for scoring files in bulk); accurate mode
        without protected user words takes the backend's own offsets, else the tokens'."""
        if self.mode != "accurate" or self.protected:
            return [(token.start, token.end) for token in self.segment(text)]
        if self.backend == "rjieba":  # its cut's words lie end to end (faster than its tokenize)
            spans, at = [], 0
            for word in self._tokenizer.cut(text, hmm=self.hmm):
                if not word.isspace():
                    spans.append((at, at + len(word)))
                at += len(word)
            return spans
        return accurate_spans(self._tokenizer, self._log_probabilities, text, self.hmm)

    def segment_at(self, text: str, offset: int) -> list[Token]:
        """The tokens of `text`, with spans shifted by `offset` (where `text` sits in a longer text)."""
        if not self.protected:
            return self._cut(text, offset)
        tokens, position = [], 0
        for match in self.protected.finditer(text):
            tokens += self._cut(text[position : match.start()], offset + position)
            tokens.append(Token(match.group(), lang_tag(match.group()), offset + match.start(), offset + match.end()))
            position = match.end()
        return tokens + self._cut(text[position:], offset + position)

    def _jieba_accurate(self, text: str, offset: int) -> list[Token]:
        tokens, tags = [], TAG_CACHE  # the hot path: the tag cache is read directly
        for start, end in accurate_spans(self._tokenizer, self._log_probabilities, text, self.hmm):
            word = text[start:end]
            tokens.append(Token(word, tags.get(word) or lang_tag(word), offset + start, offset + end))
        return tokens

    def _jieba_search(self, text: str, offset: int) -> list[Token]:
        tokens = [
            Token(word, lang_tag(word), offset + start, offset + end)
            for word, start, end in self._tokenizer.tokenize(text, mode="search", HMM=self.hmm)
            if not word.isspace()
        ]
        return sorted(tokens, key=_span)

    def _rjieba_tokenize(self, text: str, offset: int) -> list[Token]:
        mode, tags = ("default" if self.mode == "accurate" else "search"), TAG_CACHE
        tokens = [
            Token(word, tags.get(word) or lang_tag(word), offset + start, offset + end)
            for word, start, end in self._tokenizer.tokenize(text, mode=mode, hmm=self.hmm)
            if not word.isspace()
        ]
        return tokens if self.mode == "accurate" else sorted(tokens, key=_span)

    def _jieba_full(self, text: str, offset: int) -> list[Token]:
        return [
            Token(text[start:end], lang_tag(text[start:end]), offset + start, offset + end)
            for start, end in full_spans(self._tokenizer, text)
        ]


def _span(token: Token) -> tuple[int, int]:
    return token.start, token.end
