"""Interpolated modified Kneser-Ney, estimated exactly as KenLM's lmplz does.

* Adjusted counts a(g): the raw count for the highest order and for n-grams that start with <s>
  (nothing can precede <s>); otherwise the number of distinct words seen before g. a(<s>) = 0.
* Three discounts per order from the counts-of-counts n_k of the adjusted counts (Chen & Goodman eq. 26):
  D_k = k − (k+1)·Y·n_{k+1}/n_k with Y = n_1/(n_1 + 2·n_2); D_0 = 0, and D_3 serves every count ≥ 3.
  Where they cannot be computed (small data), lmplz's --discount_fallback values 0.5, 1, 1.5 are used.
* p(w | c) = (a(c w) − D(a(c w))) / Σ_x a(c x) + γ(c) · p(w | c'), with
  γ(c) = (D_1·N_1(c) + D_2·N_2(c) + D_3·N_3+(c)) / Σ_x a(c x), where N_k(c) counts the words that
  follow c with adjusted count k (3 meaning ≥ 3), and c' is c without its first word.
* Below the unigrams lies the uniform distribution over the vocabulary without <s>.
"""

from __future__ import annotations

import numpy as np

from bilingual_lm.ngram.counting import OrderCounts
from bilingual_lm.ngram.smoothing.estimate import Estimate, context_backoffs, context_sums, interpolate, log10
from bilingual_lm.ngram.vocabulary import Vocabulary

FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)


def adjusted_counts(counts: list[OrderCounts], bos: int) -> list[np.ndarray]:
    """KenLM's adjusted counts for every order (see the module docstring)."""
    adjusted = []
    for n, order in enumerate(counts, start=1):
        if n == len(counts):
            a = order.counts.copy()
        else:
            left_extensions = np.bincount(counts[n].suffix, minlength=len(order))
            a = np.where(order.starts_with_bos, order.counts, left_extensions)
        adjusted.append(a)
    adjusted[0][bos] = 0
    return adjusted


def discounts(adjusted: np.ndarray) -> tuple[tuple[float, float, float], bool]:
    """(D_1, D_2, D_3+) from the counts-of-counts, and whether lmplz's fallback had to be used."""
    n = np.bincount(np.minimum(adjusted, 5), minlength=6)[1:5].tolist()  # n_1 … n_4 (5 = "more")
    if min(n[:3]) == 0:
        return FALLBACK_DISCOUNTS, True
    y = n[0] / (n[0] + 2.0 * n[1])
    amounts = tuple(k - (k + 1) * y * n[k] / n[k - 1] for k in range(1, 4))
    if any(not 0.0 <= d <= k for k, d in enumerate(amounts, start=1)):
        return FALLBACK_DISCOUNTS, True
    return amounts, False


def kneser_ney(counts: list[OrderCounts], vocab: Vocabulary, **_) -> Estimate:
    adjusted = adjusted_counts(counts, vocab.bos)
    per_order, fallback = [], []
    subtracted = []
    for n, a in enumerate(adjusted, start=1):
        amounts, fell_back = discounts(a)
        per_order.append(list(amounts))
        if fell_back:
            fallback.append(n)
        subtracted.append(np.array([0.0, *amounts])[np.minimum(a, 3)])
    totals = context_sums(counts, adjusted)
    gamma_sums = context_sums(counts, subtracted)
    own = [(a - d) / t[order.prefix] for a, d, t, order in zip(adjusted, subtracted, totals, counts, strict=True)]
    gamma = [np.divide(g, t, out=np.zeros_like(g), where=t > 0) for g, t in zip(gamma_sums, totals, strict=True)]
    probs = interpolate(counts, own, gamma, 1.0 / (len(vocab) - 1))
    logprobs = [log10(p) for p in probs]
    logprobs[0][vocab.bos] = 0.0  # KenLM's convention: <s> is never predicted
    return Estimate(logprobs, context_backoffs(counts, gamma, totals),
                    params={"discounts": per_order, "discount_fallback_orders": fallback})
