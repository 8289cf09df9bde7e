"""The eval's metrics against values derived by hand (the derivations are in the comments)."""

import math

import numpy as np
import pytest

from bilingual_lm.eval import metrics
from bilingual_lm.eval.bootstrap import Bootstrap

E = math.e


def test_ranking_breaks_ties_by_candidate_order():
    # candidates 0 and 2 tie at 0.25: 0 comes first, so the order is 1, 0, 2 and candidate 2 ranks third
    assert metrics.ranking([0.25, 0.5, 0.25]) == [1, 0, 2]
    assert metrics.gold_rank([0.25, 0.5, 0.25], 2) == 3


def test_entropy_in_bits():
    # −(0.5 log₂ 0.5 + 2 · 0.25 log₂ 0.25) = 0.5 + 1 = 1.5
    assert metrics.entropy_bits([0.5, 0.25, 0.25]) == pytest.approx(1.5, abs=1e-15)
    assert metrics.entropy_bits([1.0, 0.0]) == 0.0


def test_brier_sums_squared_errors_over_candidates():
    # gold 0: (0.5−1)² + 0.25² + 0.25² = 0.25 + 0.0625 + 0.0625 = 0.375
    # gold 1: 0.5² + (0.25−1)² + 0.25² = 0.25 + 0.5625 + 0.0625 = 0.875
    assert metrics.brier([0.5, 0.25, 0.25], 0) == pytest.approx(0.375, abs=1e-15)
    assert metrics.brier([0.5, 0.25, 0.25], 1) == pytest.approx(0.875, abs=1e-15)


def test_ece_with_ten_equal_width_bins():
    # bins: (0.9, 1]: {0.95 ✓} gap |1 − 0.95| = 0.05; (0.8, 0.9]: {0.85 ✗} gap 0.85;
    # (0.5, 0.6]: {0.55 ✓, 0.52 ✗} gap |(1 − 0.55) + (0 − 0.52)| = 0.07.  ECE = (0.05 + 0.85 + 0.07) / 4
    ece = metrics.expected_calibration_error([0.95, 0.85, 0.55, 0.52], [True, False, True, False])
    assert metrics.ECE_BINS == 10
    assert ece == pytest.approx(0.97 / 4, abs=1e-12)


def test_ece_bins_are_right_closed():
    # 0.3 falls in (0.2, 0.3], 0.31 in (0.3, 0.4]: (|1 − 0.3| + |0 − 0.31|) / 2 = 0.505
    # (were they one bin: |0.7 − 0.31| / 2 = 0.195)
    assert metrics.expected_calibration_error([0.3, 0.31], [True, False]) == pytest.approx(0.505, abs=1e-12)


def test_rankc_weights_follow_the_paper():
    # N = 3: w_j = e^(3−j) / (e² + e + 1) = (0.66524…, 0.24473…, 0.09003…)
    assert metrics.rankc_weights(3) == pytest.approx([E**2 / (E**2 + E + 1), E / (E**2 + E + 1),
                                                      1 / (E**2 + E + 1)], abs=1e-15)


@pytest.mark.parametrize(
    ("probs_a", "probs_b", "expected"),
    [
        # identical rankings: P@j = 1 for every j, Σ w_j = 1
        ([0.6, 0.3, 0.1], [0.5, 0.3, 0.2], 1.0),
        # a: A B C, b: B A C -> P@1 = 0, P@2 = 1, P@3 = 1: w₂ + w₃ = (e + 1) / (e² + e + 1) = 0.33476…
        ([0.6, 0.3, 0.1], [0.3, 0.6, 0.1], (E + 1) / (E**2 + E + 1)),
        # a: A B C, b: C B A -> P@1 = 0, P@2 = |{A,B} ∩ {C,B}| / 2 = ½, P@3 = 1:
        # ½ w₂ + w₃ = (e/2 + 1) / (e² + e + 1) = 0.21239…
        ([0.6, 0.3, 0.1], [0.1, 0.3, 0.6], (E / 2 + 1) / (E**2 + E + 1)),
        # N = 2 swapped: P@1 = 0, P@2 = 1: w₂ = 1 / (e + 1) = 0.26894…
        ([0.9, 0.1], [0.2, 0.8], 1 / (E + 1)),
    ],
)
def test_rankc_hand_computed(probs_a, probs_b, expected):
    assert metrics.rankc(probs_a, probs_b) == pytest.approx(expected, abs=1e-12)


def test_js_divergence_in_bits():
    # disjoint supports: JS = 1 bit exactly
    assert metrics.js_divergence_bits([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0, abs=1e-15)
    # p = (½, ½), q = (1, 0), m = (¾, ¼): KL(p‖m) = ½ log₂(⅔) + ½ log₂ 2 = 0.20752, KL(q‖m) = log₂(4/3) = 0.41504
    # JS = (0.20752 + 0.41504) / 2 = 0.31128
    expected = (0.5 * math.log2(2 / 3) + 0.5 + math.log2(4 / 3)) / 2
    assert metrics.js_divergence_bits([0.5, 0.5], [1.0, 0.0]) == pytest.approx(expected, abs=1e-12)
    assert metrics.js_divergence_bits([0.2, 0.8], [0.2, 0.8]) == 0.0


def test_correct_overlap_counts_and_jaccard():
    # a ✓✓✗✗✓, b ✓✗✓✗✓: both {0, 4}, only a {1}, only b {2}, neither {3}; Jaccard 2 / 4
    overlap = metrics.correct_overlap([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])
    assert overlap == {"both": 2, "only_a": 1, "only_b": 1, "neither": 1, "jaccard": 0.5}


def test_distinct_n_and_type_token_over_chinese_characters():
    # units 我 爱 你 | 我 爱 他: 4 types / 6 tokens; bigrams 我爱 爱你 我爱 爱他: 3 distinct / 4
    texts = ["我爱你", "我爱他"]
    assert metrics.distinct_n(texts, 1) == pytest.approx(4 / 6)
    assert metrics.distinct_n(texts, 2) == pytest.approx(3 / 4)
    assert metrics.type_token_ratio(texts) == pytest.approx(4 / 6)


def test_distinct_n_over_english_words():
    # "The cat the dog." -> the cat the dog . : 4 types / 5 units; bigrams all distinct (4 / 4)
    assert metrics.text_units("The cat the dog.") == ["the", "cat", "the", "dog", "."]
    assert metrics.distinct_n(["The cat the dog."], 1) == pytest.approx(4 / 5)
    assert metrics.distinct_n(["The cat the dog."], 2) == 1.0


def test_next_token_summary_entropy_and_script_mass():
    # p = (½, ¼, ⅛, ⅛): H = ½·1 + ¼·2 + 2·⅛·3 = 1.75 bits; han ½, latin ¼, other ⅛ + ⅛
    tokens = ["日", "the", "。", "<unk>"]
    summary = metrics.next_token_summary(tokens, np.log([0.5, 0.25, 0.125, 0.125]))
    assert summary["entropy_bits"] == pytest.approx(1.75, abs=1e-12)
    assert summary["script_mass"] == pytest.approx({"han": 0.5, "latin": 0.25, "other": 0.25}, abs=1e-12)
    # unnormalised scores (summing to 2) are renormalised first: the same figures
    doubled = metrics.next_token_summary(tokens, np.log([1.0, 0.5, 0.25, 0.25]))
    assert doubled["entropy_bits"] == pytest.approx(1.75, abs=1e-12)


def test_bootstrap_is_deterministic_for_a_seed():
    values = np.random.default_rng(1).random(50)
    first = Bootstrap(50, 500, seed=7, key="task").mean(values)
    again = Bootstrap(50, 500, seed=7, key="task").mean(values)
    other = Bootstrap(50, 500, seed=8, key="task").mean(values)
    assert first == again
    assert first["ci"] != other["ci"]


def test_bootstrap_interval_contains_the_point_estimate():
    rng = np.random.default_rng(2)
    a, b = rng.random(40), rng.random(40)
    boot = Bootstrap(40, 1000, seed=0)
    mean = boot.mean(a)
    diff = boot.difference(a, b)
    assert mean["mean"] == pytest.approx(a.mean())
    assert mean["ci"][0] <= mean["mean"] <= mean["ci"][1]
    assert diff["diff"] == pytest.approx(a.mean() - b.mean())
    assert diff["ci"][0] <= diff["diff"] <= diff["ci"][1]


def test_bootstrap_difference_is_paired():
    # b = a − 1 item by item: every resample's difference is exactly 1, so the paired CI is [1, 1]
    a = np.random.default_rng(3).random(30)
    diff = Bootstrap(30, 200, seed=0).difference(a, a - 1)
    assert diff["diff"] == pytest.approx(1.0)
    assert diff["ci"] == pytest.approx([1.0, 1.0])


def test_bootstrap_with_no_resamples_gives_no_interval():
    assert Bootstrap(3, 0, seed=0).mean([1.0, 2.0, 3.0]) == {"mean": 2.0, "ci": None}
