"""`train_ngram`: sentences of words in, an `NgramModel` out."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from bilingual_lm.errors import InputError
from bilingual_lm.ngram.counting import OrderCounts, count_ngrams
from bilingual_lm.ngram.model import NgramModel
from bilingual_lm.ngram.smoothing import SMOOTHERS
from bilingual_lm.ngram.vocabulary import Vocabulary, encode_training
from bilingual_lm.progress import Progress, report

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
                min_count: int = 1, vocab: Iterable[str] | None = None, progress: Progress | None = None,
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
    with report(progress, "counting and smoothing", order + 1) as advance:
        counts = count_ngrams(flat, hist, order, len(vocabulary), vocabulary.bos, progress=advance)
        del flat, hist
        model = estimate_model(counts, vocabulary, smoothing, k=k, alpha=alpha)
        advance(1)
    return model


def estimate_model(counts: list[OrderCounts], vocabulary: Vocabulary, smoothing: str, *, k: float = 1.0,
                   alpha: float = 0.4) -> NgramModel:
    """The model that `smoothing` estimates from the counts of every order."""
    estimate = SMOOTHERS[smoothing](counts, vocabulary, k=k, alpha=alpha)
    for p in estimate.prob:
        if np.isnan(p).any():
            raise AssertionError(f"{smoothing} produced NaN probabilities")
    return NgramModel(vocabulary, smoothing, [c.keys for c in counts], estimate.prob, estimate.backoff,
                      rule=estimate.rule, missing_backoff=estimate.missing_backoff,
                      is_probability=estimate.is_probability, params={"order": len(counts), **estimate.params})
