"""The eval's metrics, each a small exact function of per-item numbers.

Conventions (recorded in every results.json under `conventions`):

* The candidate distribution of an item is the softmax of its candidates' scores under a scoring rule
  (`bilingual_lm.eval.rules`).
* Rankings sort by descending probability; ties keep the candidates' order in the task file.
* Entropies and the Jensen–Shannon divergence are in bits (log base 2); JS therefore lies in [0, 1].
* ECE uses `ECE_BINS` equal-width bins of the top-1 confidence, right-closed: (0, 0.1], …, (0.9, 1].
* Brier is the multi-class score Σ_k (p_k − y_k)² over the candidates of an item (range [0, 2]).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from bilingual_lm.segment.script import SCRIPTS, TEXT_UNIT, token_script

ECE_BINS = 10


def ranking(probs: Sequence[float]) -> list[int]:
    """Candidate indices from most to least probable (a stable sort: ties keep the file's order)."""
    return sorted(range(len(probs)), key=lambda index: -probs[index])


def gold_rank(probs: Sequence[float], gold: int) -> int:
    """1-based rank of the gold candidate in `ranking(probs)`."""
    return ranking(probs).index(gold) + 1


def entropy_bits(probs: Sequence[float]) -> float:
    """H(p) = −Σ p log₂ p, with 0 log 0 = 0."""
    p = np.asarray(probs, dtype=np.float64)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def brier(probs: Sequence[float], gold: int) -> float:
    """Σ_k (p_k − [k = gold])² over the candidates."""
    target = np.zeros(len(probs))
    target[gold] = 1.0
    return float(((np.asarray(probs, dtype=np.float64) - target) ** 2).sum())


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], n_bins: int = ECE_BINS) -> float:
    """ECE = Σ_b (n_b / N) |acc_b − conf_b| over equal-width, right-closed confidence bins."""
    conf = np.asarray(confidences, dtype=np.float64)
    hits = np.asarray(correct, dtype=np.float64)
    if conf.size == 0:
        return float("nan")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.digitize(conf, edges[1:-1], right=True)
    gaps = np.bincount(bins, weights=hits - conf, minlength=n_bins)  # Σ_b (hits − confidence) per bin
    return float(np.abs(gaps).sum() / conf.size)


def rankc_weights(n: int) -> np.ndarray:
    """w_j = e^(N−j) / Σ_k e^(N−k) for j = 1..N (Qi, Fernández & Bisazza 2023)."""
    exponents = np.arange(n - 1, -1, -1, dtype=np.float64)  # N−j for j = 1..N
    weights = np.exp(exponents - exponents.max())
    return weights / weights.sum()


def rankc(probs_a: Sequence[float], probs_b: Sequence[float]) -> float:
    """One item's RankC: Σ_j w_j P@j, P@j = |top-j(a) ∩ top-j(b)| / j, candidates aligned by concept."""
    if len(probs_a) != len(probs_b):
        raise ValueError("RankC needs the same candidates on both sides")
    top_a, top_b = ranking(probs_a), ranking(probs_b)
    weights = rankc_weights(len(top_a))
    return float(
        sum(w * len(set(top_a[:j]) & set(top_b[:j])) / j for j, w in enumerate(weights, start=1))
    )


def js_divergence_bits(p: Sequence[float], q: Sequence[float]) -> float:
    """JS(p, q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = ½(p + q), in bits."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        mask = a > 0
        return float((a[mask] * np.log2(a[mask] / m[mask])).sum())

    return max(0.0, (kl(p) + kl(q)) / 2)


def js_divergence_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """`js_divergence_bits` of each row of p against the same row of q (arrays of shape items × candidates)."""
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(p / m), 0.0).sum(axis=1)
        kl_q = np.where(q > 0, q * np.log2(q / m), 0.0).sum(axis=1)
    return np.maximum(0.0, (kl_p + kl_q) / 2)


def correct_overlap(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> dict:
    """How the sets of correctly answered items overlap: counts and Jaccard |A ∩ B| / |A ∪ B|."""
    both = sum(1 for a, b in zip(correct_a, correct_b, strict=True) if a and b)
    only_a = sum(1 for a, b in zip(correct_a, correct_b, strict=True) if a and not b)
    only_b = sum(1 for a, b in zip(correct_a, correct_b, strict=True) if b and not a)
    union = both + only_a + only_b
    return {
        "both": both,
        "only_a": only_a,
        "only_b": only_b,
        "neither": len(correct_a) - union,
        "jaccard": both / union if union else float("nan"),
    }


def text_units(text: str) -> list[str]:
    """The units that distinct-n and type/token count (English lower-cased)."""
    return [unit.lower() for unit in TEXT_UNIT.findall(text)]


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Distinct-n: unique n-grams / all n-grams, pooled over the texts (n-grams never cross texts)."""
    grams = []
    for text in texts:
        units = text_units(text)
        grams += [tuple(units[i : i + n]) for i in range(len(units) - n + 1)]
    return len(set(grams)) / len(grams) if grams else float("nan")


def type_token_ratio(texts: Sequence[str]) -> float:
    """Unique units / all units, pooled over the texts."""
    units = [unit for text in texts for unit in text_units(text)]
    return len(set(units)) / len(units) if units else float("nan")


_MARKUP = re.compile(r"<[^<>\s]+>|\[multimodal\]")


def special_token_count(texts: Sequence[str]) -> int:
    """How many special or markup tokens (<start_of_image>, <unused3>, ...) the texts hold, as written."""
    return sum(len(_MARKUP.findall(text)) for text in texts)


SCRIPT_OF_LANG = {"zh": "han", "en": "latin"}


@lru_cache(maxsize=4)
def _script_codes(tokens: tuple[str, ...]) -> np.ndarray:
    """The index in SCRIPTS of each token's script (cached: a model's vocabulary is the same every call)."""
    codes = {script: index for index, script in enumerate(SCRIPTS)}
    return np.fromiter((codes[token_script(token)] for token in tokens), dtype=np.int64, count=len(tokens))


def normalised_logprobs(logprobs: Sequence[float]) -> np.ndarray:
    """log p renormalised to sum to 1 (a no-op for a proper distribution; needed for stupid backoff)."""
    values = np.asarray(logprobs, dtype=np.float64)
    top = values.max()
    return values - (top + math.log(np.exp(values - top).sum()))


def next_token_summary(tokens: Sequence[str], logprobs: Sequence[float]) -> dict:
    """Entropy (bits) of a next-token distribution and its probability mass on each script."""
    probs = np.exp(normalised_logprobs(logprobs))
    mass = np.bincount(_script_codes(tuple(tokens)), weights=probs, minlength=len(SCRIPTS))
    return {"entropy_bits": entropy_bits(probs), "script_mass": dict(zip(SCRIPTS, map(float, mass), strict=True))}
