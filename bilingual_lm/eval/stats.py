"""Intervals and tests for the eval's figures, from scipy/statsmodels where they exist.

* Proportions (accuracy, top-1 agreement): Wilson score intervals (`proportion_confint(method="wilson")`),
  which keep their coverage near 0 and 1 where the percentile bootstrap does not.
* Paired differences: the paired bootstrap interval (`bootstrap.Bootstrap`) and a two-sided sign-flip
  permutation p-value (exact in distribution for paired data), Holm-adjusted across a report's family
  (`multipletests(method="holm")`).
* ECE: a bootstrap interval, beside its expected value under perfect calibration (the outcomes drawn as
  Bernoulli(confidence)), since ECE is biased upward at small n.
* Chance levels of RankC and JS: the candidates of one side permuted within each item.

statsmodels is imported where it is used: it takes over a second to import, and a lens-only run never needs it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bilingual_lm.eval import metrics
from bilingual_lm.eval.bootstrap import CONFIDENCE, stable_seed

PERMUTATIONS = 2000  # sign flips for a paired p-value
CHANCE_DRAWS = 200  # permutations (or simulated outcomes) for a chance level or an expected ECE
ALPHA = 1 - CONFIDENCE


def wilson(values: Sequence[float]) -> dict:
    """{"mean", "ci"} of a proportion from 0/1 per-item values, with the Wilson score interval."""
    hits = np.asarray(values, dtype=np.float64)
    n = int(hits.size)
    if n == 0:
        return {"mean": float("nan"), "ci": None}
    from statsmodels.stats.proportion import proportion_confint

    successes = float(hits.sum())
    low, high = proportion_confint(successes, n, alpha=ALPHA, method="wilson")
    return {"mean": successes / n, "ci": [float(low), float(high)]}


def sign_flip_pvalue(differences: Sequence[float], seed: int, *key: object) -> float:
    """Two-sided p-value of mean(differences) = 0 under random sign flips of the paired differences."""
    d = np.asarray(differences, dtype=np.float64)
    d = d[~np.isnan(d)]
    if d.size == 0 or not np.any(d):
        return 1.0
    rng = np.random.default_rng([seed, stable_seed("signflip", *key)])
    signs = rng.choice(np.array([-1.0, 1.0]), size=(PERMUTATIONS, d.size))
    observed = abs(d.mean())
    extreme = np.count_nonzero(np.abs(signs @ d / d.size) >= observed - 1e-12)
    return float((extreme + 1) / (PERMUTATIONS + 1))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (family-wise error control), in the input order."""
    if not len(pvalues):
        return []
    from statsmodels.stats.multitest import multipletests

    return [float(p) for p in multipletests(list(pvalues), alpha=ALPHA, method="holm")[1]]


def ece_with_interval(confidences: Sequence[float], correct: Sequence[bool], boot, seed: int, *key: object) -> dict:
    """ECE with its bootstrap interval, and the ECE a perfectly calibrated model would show on these items
    (the mean over draws of outcomes ~ Bernoulli(confidence)) with its 95% range."""
    conf = np.asarray(confidences, dtype=np.float64)
    hits = np.asarray(correct, dtype=bool)
    value = metrics.expected_calibration_error(conf, hits)
    ci = None
    if boot.indices is not None and boot.n_resamples:
        draws = [metrics.expected_calibration_error(conf[rows], hits[rows]) for rows in boot.indices[:CHANCE_DRAWS]]
        ci = [float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))]
    rng = np.random.default_rng([seed, stable_seed("ece", *key)])
    calibrated = [metrics.expected_calibration_error(conf, rng.random(conf.size) < conf) for _ in range(CHANCE_DRAWS)]
    return {"mean": value, "ci": ci, "calibrated_mean": float(np.mean(calibrated)),
            "calibrated_range": [float(np.percentile(calibrated, 2.5)), float(np.percentile(calibrated, 97.5))]}


def rankc_chance(n_candidates: Sequence[int]) -> float:
    """The expected RankC of two independent random rankings, averaged over items: a random permutation's
    top-j shares j²/N candidates with any fixed top-j in expectation, so E[P@j] = j/N and
    E[RankC] = Σ_j w_j j/N (checked against permuted rankings in the tests)."""
    expected = {n: float(metrics.rankc_weights(n) @ (np.arange(1, n + 1) / n)) for n in set(n_candidates)}
    return float(np.mean([expected[n] for n in n_candidates])) if len(n_candidates) else float("nan")


def js_chance(pairs: Sequence[tuple[np.ndarray, np.ndarray]], seed: int, *key: object,
              draws: int = CHANCE_DRAWS // 10) -> float:
    """The mean JS divergence over items when q's candidates are randomly permuted within each item."""
    rng = np.random.default_rng([seed, stable_seed("chance", *key)])
    by_size: dict[int, list] = {}
    for p, q in pairs:
        by_size.setdefault(p.size, []).append((p, q))
    total, count = 0.0, 0
    for group in by_size.values():
        p = np.stack([a for a, _ in group])
        q = np.stack([b for _, b in group])
        for _ in range(draws):
            shuffled = np.take_along_axis(q, rng.random(q.shape).argsort(axis=1), axis=1)
            total += metrics.js_divergence_rows(p, shuffled).sum()
            count += len(group)
    return total / count if count else float("nan")
