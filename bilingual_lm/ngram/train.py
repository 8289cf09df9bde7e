"""`train_ngram`: sentences of words in, an `NgramModel` out."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from bilingual_lm.errors import InputError
from bilingual_lm.ngram.counting import count_ngrams
from bilingual_lm.ngram.model import NgramModel
from bilingual_lm.ngram.smoothing import SMOOTHERS
from bilingual_lm.ngram.vocabulary import encode_training

MAX_ORDER = 10  # beyond this the tables hold almost only singletons; KenLM's default build stops at 6


def check_options(order: int, smoothing: str, k: float = 1.0, alpha: float = 0.4) -> None:
    """InputError for an order outside 1..MAX_ORDER, an unknown smoothing, or k, alpha not finite and > 0."""
    if not isinstance(order, int) or not 1 <= order <= MAX_ORDER:
        raise InputError(f"the order must be an integer of at least 1 and at most {MAX_ORDER}, not {order!r}")
    if smoothing not in SMOOTHERS:
        raise InputError(f"unknown smoothing {smoothing!r}; choose one of {', '.join(SMOOTHERS)}")
    if not (math.isfinite(k) and k > 0):
        raise InputError(f"--k must be a finite number above 0, not {k}")
    if not (math.isfinite(alpha) and 0 < alpha <= 1):
        raise InputError(f"--alpha must be above 0 and at most 1, not {alpha}")


def train_ngram(sentences: Iterable[Sequence[str]], order: int, smoothing: str = "kn", *, k: float = 1.0,
                min_count: int = 1, vocab: Iterable[str] | None = None, progress: bool = False,
                alpha: float = 0.4) -> NgramModel:
    """Estimate an n-gram model of `order` from tokenized sentences (`<s>`/`</s>` are added to each).

    smoothing: "mle", "addk" (with `k`), "wb" (Witten-Bell), "kn" (interpolated modified Kneser-Ney,
    as KenLM's lmplz) or "stupid" (stupid backoff with `alpha`: a score, not a probability).
    Words seen fewer than `min_count` times, or not in `vocab`, are counted as `<unk>`.
    """
    check_options(order, smoothing, k, alpha)
    sentences = sentences if isinstance(sentences, list) else list(sentences)
    if not any(sentences):
        raise InputError("no words to train on")
    vocabulary, flat, hist = encode_training(sentences, min_count=min_count, vocab=vocab)
    with _Progress(order + 1, progress) as bar:
        counts = count_ngrams(flat, hist, order, len(vocabulary), vocabulary.bos, progress=bar.advance)
        estimate = SMOOTHERS[smoothing](counts, vocabulary, k=k, alpha=alpha)
        bar.advance()
    for p in estimate.prob:
        if np.isnan(p).any():
            raise AssertionError(f"{smoothing} produced NaN probabilities")
    return NgramModel(vocabulary, smoothing, [c.keys for c in counts], estimate.prob, estimate.backoff,
                      rule=estimate.rule, missing_backoff=estimate.missing_backoff,
                      is_probability=estimate.is_probability, params={"order": order, **estimate.params})


class _Progress:
    """A progress bar on stderr over the counting of each order and the smoothing (or nothing)."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.bar, self.task = total, enabled, None, None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("counting and smoothing", total=self.total)
        return self

    def advance(self, *_) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)

    def __exit__(self, *_) -> None:
        if self.bar is not None:
            self.bar.stop()
