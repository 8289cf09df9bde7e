"""`NgramModel`: a trained or loaded n-gram model, queried one word at a time or in vectorised batches."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bilingual_lm.errors import InputError
from bilingual_lm.ngram.vocabulary import BOS, Vocabulary

if TYPE_CHECKING:
    import torch

    from bilingual_lm.ngram.tables import NgramTables

LN10 = math.log(10.0)


@dataclass
class SentenceScores:
    """Scores of a batch of sentences, all tokens laid end to end: sentence i owns the tokens
    ``offsets[i]:offsets[i+1]`` (its words, then `</s>` when eos is on)."""

    logprobs: np.ndarray  # natural log
    orders: np.ndarray  # n-gram length matched
    oov: np.ndarray  # the token is <unk>
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def sentence(self, i: int) -> list[tuple[float, int, bool]]:
        """(logprob in nats, order matched, oov) for each token of sentence i."""
        span = slice(self.offsets[i], self.offsets[i + 1])
        return [(float(p), int(o), bool(u))
                for p, o, u in zip(self.logprobs[span], self.orders[span], self.oov[span], strict=True)]

    def totals(self) -> np.ndarray:
        """log p of each sentence, in nats."""
        owner = np.repeat(np.arange(len(self)), np.diff(self.offsets))
        return np.bincount(owner, weights=self.logprobs, minlength=len(self))


class NgramModel:
    """An n-gram model stored as an ARPA file is: log10 p for each n-gram, a log10 weight for each context.

    `keys[n-1]` are the sorted trie keys of the n-grams of order n (see `counting.py`); `prob` and
    `backoff` hold their log10 values in the same order. The query tables (torch tensors on `device`) are
    built at the first batched query, so that training and writing a model never load torch.
    """

    def __init__(self, vocab: Vocabulary, smoothing: str, keys: list[np.ndarray], prob: list[np.ndarray],
                 backoff: list[np.ndarray], *, rule: str = "backoff", missing_backoff: float = 0.0,
                 is_probability: bool = True, params: dict | None = None, device: str | torch.device = "cpu"):
        self.vocabulary = vocab
        self.order = len(keys)
        self.smoothing = smoothing
        self.keys, self.prob, self.backoff = keys, prob, backoff
        self.rule = rule
        self.missing_backoff = missing_backoff
        self.is_probability = is_probability
        self.params = dict(params or {})
        self._device = device
        self._tables: NgramTables | None = None

    @property
    def vocab(self) -> list[str]:
        return self.vocabulary.words

    @property
    def tables(self) -> NgramTables:
        """The vectorised query tables, built on first use."""
        if self._tables is None:
            from bilingual_lm.ngram.tables import NgramTables

            self._tables = NgramTables(self.keys, self.prob, self.backoff, len(self.vocabulary), self.rule,
                                       self.missing_backoff, self._device)
        return self._tables

    @property
    def device(self) -> torch.device:
        return self.tables.device

    def to(self, device: str | torch.device) -> NgramModel:
        """Move the query tables to `device` (e.g. "cuda")."""
        self._device, self._tables = device, None
        return self

    def __repr__(self) -> str:
        counts = ", ".join(str(len(k)) for k in self.keys)
        return f"NgramModel(order={self.order}, smoothing={self.smoothing!r}, ngrams=[{counts}])"

    # --- one query at a time: the plain definition, also the reference for the batched path -----------

    def logprob(self, word: str, context: Sequence[str] = ()) -> float:
        """ln p(word | context). A `<s>` in the context starts the history there; `word` may be `</s>`."""
        if word == BOS:
            raise InputError("<s> is never predicted; score a word or </s>")
        context = list(context)
        if BOS in context:
            last = len(context) - 1 - context[::-1].index(BOS)
            history = [self.vocabulary.bos, *self.vocabulary.encode(context[last + 1:])]
        else:
            history = self.vocabulary.encode(context)
        target = self.vocabulary.index.get(word, self.vocabulary.unk)
        return self._one(history, target)[0] * LN10

    def score_sentence(self, words: Sequence[str], bos: bool = True, eos: bool = True
                       ) -> list[tuple[float, int, bool]]:
        """(ln p, order matched, oov) for each word (and `</s>` when eos), one lookup at a time."""
        vocab = self.vocabulary
        history = [vocab.bos] if bos else []
        targets = vocab.encode(words) + ([vocab.eos] if eos else [])
        scores = []
        for target in targets:
            log10p, matched = self._one(history, target)
            scores.append((log10p * LN10, matched, target == vocab.unk))
            history.append(target)
        return scores

    def _one(self, history: list[int], word: int) -> tuple[float, int]:
        """(log10 p(word | history), n-gram length matched) by the recursive definition of the rule."""
        context = history[max(len(history) - (self.order - 1), 0):] if self.order > 1 else []
        matched = max(n for n in range(1, len(context) + 2)
                      if self._index(context[len(context) - n + 1:] + [word]) >= 0)
        if self.rule == "flat":
            for start in range(len(context) + 1):
                part = context[start:]
                c = self._index(part) if part else 0
                if not part or (c >= 0 and self._is_context(len(part), c)):
                    i = self._index(part + [word])
                    value = self.prob[len(part)][i] if i >= 0 else self.backoff[len(part) - 1][c]
                    return float(value), matched
        return self._backoff(context, word), matched

    def _backoff(self, context: list[int], word: int) -> float:
        i = self._index(context + [word])
        if i >= 0:
            return float(self.prob[len(context)][i])
        c = self._index(context)
        weight = self.backoff[len(context) - 1][c] if c >= 0 else self.missing_backoff
        return float(weight) + self._backoff(context[1:], word)

    def _index(self, ids: list[int]) -> int:
        """The table index of the n-gram `ids`, or -1."""
        index = ids[0]
        for n, word in enumerate(ids[1:], start=2):
            keys = self.keys[n - 1]
            key = index * len(self.vocabulary) + word
            pos = int(np.searchsorted(keys, key))
            if pos == len(keys) or keys[pos] != key:
                return -1
            index = pos
        return index

    def _is_context(self, length: int, index: int) -> bool:
        keys = self.keys[length] if length < self.order else np.zeros(0, dtype=np.int64)
        pos = int(np.searchsorted(keys, index * len(self.vocabulary)))
        return pos < len(keys) and keys[pos] // len(self.vocabulary) == index

    # --- batched queries -------------------------------------------------------------------------

    def score_sentences(self, sentences: Sequence[Sequence[str]], bos: bool = True, eos: bool = True
                        ) -> SentenceScores:
        """Score many sentences in one vectorised pass over the tables (on the model's device)."""
        return self._scores(*self.vocabulary.encode_sentences(sentences, bos, eos), bos)

    def score_lines(self, lines: Sequence[str], bos: bool = True, eos: bool = True) -> SentenceScores:
        """`score_sentences` of each line's words (`line.split()`), as KenLM's `full_scores` reads a line; the
        words are found and numbered in bulk."""
        return self._scores(*self.vocabulary.encode_lines(lines, bos, eos), bos)

    def score_totals(self, sentences: Sequence[Sequence[str]], bos: bool = True, eos: bool = True) -> np.ndarray:
        """ln p of each sentence: the sums of `score_sentences`' token scores, without the per-token arrays."""
        flat, hist, starts = self.vocabulary.encode_sentences(sentences, bos, eos)
        log10p, _ = self._query(flat, hist)
        logprobs = log10p.cpu().numpy() * LN10
        if bos:
            logprobs[starts[:-1]] = 0.0  # <s> is not scored
        owner = np.repeat(np.arange(len(sentences)), np.diff(starts))
        return np.bincount(owner, weights=logprobs, minlength=len(sentences))

    def _scores(self, flat: np.ndarray, hist: np.ndarray, starts: np.ndarray, bos: bool) -> SentenceScores:
        """The scores of sentences laid end to end (ids, history lengths, sentence starts), <s> left out."""
        log10p, matched = self._query(flat, hist)
        scored = np.ones(len(flat), dtype=bool)
        if bos:
            scored[starts[:-1]] = False
        offsets = starts - (np.arange(len(starts)) if bos else 0)
        return SentenceScores(
            logprobs=log10p.cpu().numpy()[scored] * LN10,
            orders=matched.cpu().numpy()[scored],
            oov=flat[scored] == self.vocabulary.unk,
            offsets=offsets,
        )

    def _query(self, flat: np.ndarray, hist: np.ndarray):
        """The tables' answer (log10 p, n-gram length matched) at every position of the laid-out ids."""
        import torch

        return self.tables.query(torch.from_numpy(flat).to(self.device), torch.from_numpy(hist).to(self.device))

    def next_word_logprobs(self, context: Sequence[str], bos: bool = True) -> tuple[list[str], np.ndarray]:
        """ln p(w | context) for every word w that can follow (the vocabulary without <s>)."""
        history = ([self.vocabulary.bos] if bos else []) + self.vocabulary.encode(context)
        history = history[max(len(history) - (self.order - 1), 0):] if self.order > 1 else []
        context_idx = [self._index(history[len(history) - j:]) for j in range(1, len(history) + 1)]
        log10p, _ = self.tables.next_word(context_idx)
        bos = self.vocabulary.bos
        words = self.vocabulary.words[:bos] + self.vocabulary.words[bos + 1:]
        return words, np.delete(log10p.cpu().numpy(), bos) * LN10

    # --- files -----------------------------------------------------------------------------------

    def save_arpa(self, path: str | Path) -> None:
        """Write an ARPA file (log10, KenLM's layout), atomically."""
        from bilingual_lm.ngram.arpa import write_arpa

        write_arpa(self, path)

    def save(self, path: str | Path) -> None:
        """Write the native format (numpy arrays, loads fast), atomically."""
        from bilingual_lm.ngram.native import write_native

        write_native(self, path)
