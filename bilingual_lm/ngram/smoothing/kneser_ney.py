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

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from bilingual_lm.ngram.counting import OrderCounts
from bilingual_lm.ngram.smoothing.estimate import Estimate, context_backoffs, context_sum, interpolate, log10
from bilingual_lm.ngram.vocabulary import Vocabulary

FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)


def adjusted_count(counts: list[OrderCounts], n: int, bos: int) -> np.ndarray:
    """KenLM's adjusted counts of order n (see the module docstring)."""
    order = counts[n - 1]
    if n == len(counts):
        adjusted = order.counts.copy()
    else:
        left_extensions = np.bincount(counts[n].suffix, minlength=len(order))
        adjusted = np.where(order.starts_with_bos, order.counts, left_extensions)
    if n == 1:
        adjusted[bos] = 0
    return adjusted


def counts_of_counts(adjusted: np.ndarray) -> np.ndarray:
    """How many adjusted counts are 0, 1, 2, 3, 4, and 5 or more."""
    return np.bincount(np.minimum(adjusted, 5), minlength=6)


def discounts(counted: np.ndarray) -> tuple[tuple[float, float, float], bool]:
    """(D_1, D_2, D_3+) from the counts-of-counts (`counts_of_counts`), and whether lmplz's fallback had to be
    used."""
    n = counted[1:5].tolist()  # n_1 … n_4
    if min(n[:3]) == 0:
        return FALLBACK_DISCOUNTS, True
    y = n[0] / (n[0] + 2.0 * n[1])
    amounts = tuple(k - (k + 1) * y * n[k] / n[k - 1] for k in range(1, 4))
    if any(not 0.0 <= d <= k for k, d in enumerate(amounts, start=1)):
        return FALLBACK_DISCOUNTS, True
    return amounts, False


@dataclass
class _OrderTerms:
    """One order's share of the estimate: its discounts, own terms and interpolation weights."""

    discounts: tuple[float, float, float]
    fell_back: bool
    own: np.ndarray  # (a(c w) − D(a(c w))) / Σ_x a(c x), per n-gram
    gamma: np.ndarray  # γ(c), per context
    totals: np.ndarray  # Σ_x a(c x), per context


def _order_terms(counts: list[OrderCounts], n: int, bos: int) -> _OrderTerms:
    adjusted = adjusted_count(counts, n, bos)
    amounts, fell_back = discounts(counts_of_counts(adjusted))
    subtracted = np.array([0.0, *amounts])[np.minimum(adjusted, 3)]
    totals = context_sum(counts, n, adjusted)
    gamma_sums = context_sum(counts, n, subtracted)
    own = (adjusted - subtracted) / totals[counts[n - 1].prefix]
    gamma = np.divide(gamma_sums, totals, out=np.zeros_like(gamma_sums), where=totals > 0)
    return _OrderTerms(amounts, fell_back, own, gamma, totals)


def kneser_ney(counts: list[OrderCounts], vocab: Vocabulary, **_) -> Estimate:
    # The orders are estimated side by side in threads (numpy releases the GIL in its array loops), apart
    # from the interpolation, which runs from the lowest order up.
    with ThreadPoolExecutor(max_workers=min(len(counts), os.cpu_count() or 1)) as pool:
        terms = list(pool.map(lambda n: _order_terms(counts, n, vocab.bos), range(1, len(counts) + 1)))
        gamma = [t.gamma for t in terms]
        probs = interpolate(counts, [t.own for t in terms], gamma, 1.0 / (len(vocab) - 1))
        logprobs = list(pool.map(log10, probs))
        backoffs = context_backoffs(counts, gamma, [t.totals for t in terms], run=pool.map)
    logprobs[0][vocab.bos] = 0.0  # KenLM's convention: <s> is never predicted
    return Estimate(logprobs, backoffs, params={
        "discounts": [list(t.discounts) for t in terms],
        "discount_fallback_orders": [n for n, t in enumerate(terms, start=1) if t.fell_back],
    })
