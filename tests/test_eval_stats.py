"""Intervals, tests and chance levels against closed forms and the libraries' own results."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from bilingual_lm.eval import metrics, stats


@pytest.mark.parametrize(("k", "n"), [(0, 30), (29, 30), (30, 30), (12, 100), (1, 7)])
def test_wilson_interval_matches_the_closed_form(k, n):
    # Wilson (1927): (p + z²/2n ± z √(p(1−p)/n + z²/4n²)) / (1 + z²/n)
    z = norm.ppf(0.975)
    p = k / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    got = stats.wilson([1.0] * k + [0.0] * (n - k))
    assert got["mean"] == pytest.approx(p)
    assert got["ci"] == pytest.approx([(centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)], abs=1e-12)


def test_holm_matches_a_hand_adjustment():
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1 = 0.03, 0.06, 0.04 -> running max 0.03, 0.06, 0.06
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_rankc_chance_matches_random_rankings():
    rng = np.random.default_rng(0)
    draws = [metrics.rankc(rng.random(8), rng.random(8)) for _ in range(20000)]
    assert stats.rankc_chance([8]) == pytest.approx(np.mean(draws), abs=0.005)


def test_sign_flip_pvalue_is_small_for_a_consistent_difference_and_one_for_none():
    assert stats.sign_flip_pvalue([1.0] * 20, 0, "t") < 0.001
    assert stats.sign_flip_pvalue([0.0] * 20, 0, "t") == 1.0
    assert stats.sign_flip_pvalue([1.0, -1.0] * 10, 0, "t") > 0.9


def test_ece_of_a_calibrated_model_is_near_its_expected_value():
    rng = np.random.default_rng(1)
    confidence = rng.uniform(0.3, 1.0, 400)
    correct = rng.random(400) < confidence  # calibrated by construction
    from bilingual_lm.eval.bootstrap import Bootstrap

    result = stats.ece_with_interval(confidence, correct, Bootstrap(400, 200, 0), 0, "t")
    low, high = result["calibrated_range"]
    assert low <= result["mean"] <= high
    assert result["ci"][0] < result["ci"][1]


def test_row_wise_js_equals_the_per_item_function():
    rng = np.random.default_rng(2)
    p, q = rng.dirichlet(np.ones(6), 50), rng.dirichlet(np.ones(6), 50)
    q[0] = [1, 0, 0, 0, 0, 0]
    expected = [metrics.js_divergence_bits(a, b) for a, b in zip(p, q, strict=True)]
    assert metrics.js_divergence_rows(p, q) == pytest.approx(expected, abs=1e-12)


def test_js_chance_of_identical_uniform_sides_is_zero_and_of_peaked_sides_is_positive():
    uniform = [(np.full(4, 0.25), np.full(4, 0.25))] * 5
    assert stats.js_chance(uniform, 0, "t") == pytest.approx(0.0, abs=1e-12)
    peaked = [(np.array([1.0, 0, 0, 0]), np.array([1.0, 0, 0, 0]))] * 40
    # a permuted one-hot lands on the same candidate 1/4 of the time (JS 0), else JS = 1 bit
    assert stats.js_chance(peaked, 0, "t") == pytest.approx(0.75, abs=0.05)
