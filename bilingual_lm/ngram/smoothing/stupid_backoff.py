"""Stupid backoff (Brants et al. 2007): a score, not a probability.

S(w | c) = c(c w) / c(c) if c w was seen, else α · S(w | c'), down to S(w) = c(w) / N; α = 0.4.
Each level backed off costs α, whether or not the context was seen, so the scores do not sum to 1.
"""

from __future__ import annotations

import math

import numpy as np

from bilingual_lm.errors import InputError
from bilingual_lm.ngram.counting import OrderCounts
from bilingual_lm.ngram.smoothing.estimate import Estimate, context_sums, log10
from bilingual_lm.ngram.vocabulary import Vocabulary


def stupid_backoff(counts: list[OrderCounts], vocab: Vocabulary, *, alpha: float = 0.4, **_) -> Estimate:
    if not 0 < alpha <= 1:
        raise InputError(f"stupid backoff needs 0 < alpha <= 1, not {alpha}")
    raw = [order.counts.astype(np.float64) for order in counts]
    raw[0][vocab.bos] = 0.0
    totals = context_sums(counts, raw)
    logprobs = [log10(c / t[order.prefix]) for c, t, order in zip(raw, totals, counts, strict=True)]
    logprobs[0][vocab.bos] = 0.0
    weight = math.log10(alpha)
    backoffs = [np.full(len(order), weight) for order in counts[:-1]] + [np.zeros(len(counts[-1]))]
    return Estimate(logprobs, backoffs, missing_backoff=weight, is_probability=False,
                    params={"alpha": alpha})
