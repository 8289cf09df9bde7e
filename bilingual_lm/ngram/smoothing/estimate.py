"""What every smoother produces: per-order log10 probabilities and back-off weights, as in an ARPA file."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bilingual_lm.ngram.counting import OrderCounts


@dataclass
class Estimate:
    """log10 p(w | context) for every stored n-gram and a log10 weight for every n-gram used as a context.

    `rule` says how an n-gram that is not stored is scored:

    * ``"backoff"`` (ARPA): p(w | c) = bo(c) · p(w | c minus its first word), where bo of a context that
      is not stored is 10**`missing_backoff` (1 for every smoother but stupid backoff's α);
    * ``"flat"`` (add-k): the longest context seen in training decides, and a word never seen after it gets
      the flat value stored as that context's weight.
    """

    prob: list[np.ndarray]
    backoff: list[np.ndarray]
    rule: str = "backoff"
    missing_backoff: float = 0.0
    is_probability: bool = True
    params: dict = field(default_factory=dict)


def context_sums(counts: list[OrderCounts], values: list[np.ndarray]) -> list[np.ndarray]:
    """For each order n, Σ values over the n-grams sharing each context: an array over the (n-1)-grams
    (one entry, the empty context, for unigrams)."""
    return [context_sum(counts, n, values[n - 1]) for n in range(1, len(counts) + 1)]


def context_sum(counts: list[OrderCounts], n: int, values: np.ndarray) -> np.ndarray:
    """Σ `values` (one per n-gram of order n) over the n-grams sharing each context."""
    size = 1 if n == 1 else len(counts[n - 2])
    # float64 even where there are no n-grams (bincount then returns integers); no copy otherwise
    return np.bincount(counts[n - 1].prefix, weights=values, minlength=size).astype(np.float64, copy=False)


def interpolate(counts: list[OrderCounts], own: list[np.ndarray], weight: list[np.ndarray],
                uniform: float) -> list[np.ndarray]:
    """p(w | c) = own(w | c) + weight(c) · p(w | c minus its first word), down to the uniform distribution."""
    probs = [own[0] + weight[0][0] * uniform]
    for n in range(2, len(counts) + 1):
        order = counts[n - 1]
        probs.append(own[n - 1] + weight[n - 1][order.prefix] * probs[-1][order.suffix])
    return probs


def log10(values: np.ndarray) -> np.ndarray:
    """log10, with log10 0 = -inf and no warning."""
    with np.errstate(divide="ignore"):
        return np.log10(values)


def context_backoffs(counts: list[OrderCounts], weight: list[np.ndarray], totals: list[np.ndarray],
                     empty: float = 0.0, run=map) -> list[np.ndarray]:
    """log10 weight(g) for each n-gram g that is a context in training (its total > 0), else `empty`.
    `run` maps over the orders (a thread pool's `map` runs them side by side)."""
    backoffs = list(run(lambda n: context_backoff(weight[n], totals[n], empty), range(1, len(counts))))
    backoffs.append(np.zeros(len(counts[-1])))
    return backoffs


def context_backoff(weight: np.ndarray, totals: np.ndarray, empty: float = 0.0) -> np.ndarray:
    """log10 `weight` where `totals` > 0 (a context seen in training), else `empty`."""
    backoff = np.full(len(weight), empty)
    with np.errstate(divide="ignore"):
        np.log10(weight, out=backoff, where=totals > 0)
    return backoff
