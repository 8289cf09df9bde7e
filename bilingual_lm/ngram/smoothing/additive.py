"""Maximum likelihood and add-k (Laplace k = 1, Lidstone k < 1) estimates.

MLE: p(w | c) = c(c w) / c(c), with c(c) = Σ_x c(c x). A word never seen after c gets 0. A context never
seen in training gives no estimate at all, so the model falls back to the longest seen part of it.

Add-k: p(w | c) = (c(c w) + k) / (c(c) + k·|V|), |V| = the vocabulary without <s> (so </s> and <unk>
count). A word never seen after c gets k / (c(c) + k·|V|); again an unseen context is shortened to its
longest seen part (the "flat" rule of `Estimate`).
"""

from __future__ import annotations

import numpy as np

from bilingual_lm.errors import InputError
from bilingual_lm.ngram.counting import OrderCounts
from bilingual_lm.ngram.smoothing.estimate import Estimate, context_backoffs, context_sums, log10
from bilingual_lm.ngram.vocabulary import Vocabulary


def _raw_counts(counts: list[OrderCounts], vocab: Vocabulary) -> list[np.ndarray]:
    raw = [order.counts.astype(np.float64) for order in counts]
    raw[0][vocab.bos] = 0.0
    return raw


def maximum_likelihood(counts: list[OrderCounts], vocab: Vocabulary, **_) -> Estimate:
    raw = _raw_counts(counts, vocab)
    totals = context_sums(counts, raw)
    logprobs = [log10(c / t[order.prefix]) for c, t, order in zip(raw, totals, counts, strict=True)]
    logprobs[0][vocab.bos] = 0.0
    zero = [np.zeros_like(t) for t in totals]  # a seen context passes no mass down
    return Estimate(logprobs, context_backoffs(counts, zero, totals))


def add_k(counts: list[OrderCounts], vocab: Vocabulary, *, k: float = 1.0, **_) -> Estimate:
    if not k > 0:
        raise InputError(f"add-k smoothing needs k > 0, not {k}")
    raw = _raw_counts(counts, vocab)
    totals = context_sums(counts, raw)
    size = len(vocab) - 1
    logprobs = [log10((c + k) / (t[order.prefix] + k * size)) for c, t, order in zip(raw, totals, counts, strict=True)]
    logprobs[0][vocab.bos] = 0.0
    flat = [k / (t + k * size) for t in totals]
    return Estimate(logprobs, context_backoffs(counts, flat, totals), rule="flat", params={"k": k})
