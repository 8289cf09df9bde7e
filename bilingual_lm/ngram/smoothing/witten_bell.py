"""Interpolated Witten-Bell: p(w | c) = (c(c w) + T(c)·p(w | c')) / (c(c) + T(c)).

T(c) is the number of distinct words seen after c, c(c) = Σ_x c(c x) and c' is c without its first
word; below the unigrams lies the uniform distribution over the vocabulary without <s>.
"""

from __future__ import annotations

import numpy as np

from bilingual_lm.ngram.counting import OrderCounts
from bilingual_lm.ngram.smoothing.estimate import Estimate, context_backoffs, context_sums, interpolate, log10
from bilingual_lm.ngram.vocabulary import Vocabulary


def witten_bell(counts: list[OrderCounts], vocab: Vocabulary, **_) -> Estimate:
    raw = [order.counts.astype(np.float64) for order in counts]
    raw[0][vocab.bos] = 0.0
    totals = context_sums(counts, raw)
    types = context_sums(counts, [(c > 0).astype(np.float64) for c in raw])
    denominators = [t + k for t, k in zip(totals, types, strict=True)]
    own = [c / d[order.prefix] for c, d, order in zip(raw, denominators, counts, strict=True)]
    weight = [np.divide(k, d, out=np.zeros_like(k), where=d > 0) for k, d in zip(types, denominators, strict=True)]
    probs = interpolate(counts, own, weight, 1.0 / (len(vocab) - 1))
    logprobs = [log10(p) for p in probs]
    logprobs[0][vocab.bos] = 0.0
    return Estimate(logprobs, context_backoffs(counts, weight, totals))
