"""Baselines, the 2×2 decomposition and concept-level distributions against hand computations."""

import numpy as np
import pytest

from bilingual_lm.eval import baselines, concepts, decompose, rules

RECORD = {"candidates": ["A", "B", "C"], "gold": "B", "n_tokens": [1, 1, 3], "logprobs": [-1.0, -2.0, -3.0]}


def test_fewest_tokens_splits_ties_evenly():
    # A and B both have one token: the pick is B half the time
    assert baselines.fewest_tokens(RECORD) == 0.5
    assert baselines.fewest_tokens({**RECORD, "gold": "C"}) == 0.0


def test_most_frequent_gold_picks_the_commonest_gold_among_the_candidates():
    counts = baselines.gold_counts([{"gold": "C"}, {"gold": "C"}, {"gold": "B"}])
    assert baselines.most_frequent_gold(RECORD, counts) == 0.0  # picks C (gold twice), the gold is B
    assert baselines.most_frequent_gold({**RECORD, "candidates": ["A", "B"]}, counts) == 1.0  # C not offered


def test_answer_prior_is_the_top1_after_the_neutral_prompt():
    assert baselines.answer_prior(RECORD, {"A": -5.0, "B": -0.5, "C": -2.0}) == 1.0
    assert baselines.answer_prior(RECORD, {"A": -0.1, "B": -0.5, "C": -2.0}) == 0.0
    assert baselines.answer_prior(RECORD, None) is None


def test_prior_collapse_needs_a_dominant_top1_that_is_rarely_gold():
    # 142 (Asia) top-1 on 10 of 10 items, gold on 3: collapse; gold on 6 (> half of 10): no collapse
    answers = {"142": "亚洲", "150": "欧洲", "002": "非洲"}
    assert baselines.prior_collapse(["142"] * 10, ["142"] * 3 + ["150"] * 7, answers) == {
        "candidate": "142", "answer": "亚洲", "top1_share": 1.0, "gold_share": 0.3}
    assert baselines.prior_collapse(["142"] * 10, ["142"] * 6 + ["150"] * 4, answers) is None
    assert baselines.prior_collapse(["142", "150", "002"], ["142", "150", "002"], answers) is None


def test_answer_texts_are_the_answers_as_scored_without_their_joiner():
    records = [{"candidates": ["142", "150"], "answers": [" Asia", " Europe"]},
               {"candidates": ["002", "142"], "answers": [" Africa", " Asia"]}]
    assert baselines.answer_texts(records) == {"142": "Asia", "150": "Europe", "002": "Africa"}


def test_two_by_two_effects_by_hand():
    # one item: zh->zh 1, zh->en 0, en->zh 0, en->en 1
    # prompt = ((1 − 0) + (0 − 1)) / 2 = 0; answer = ((1 − 0) + (0 − 1)) / 2 = 0; interaction = (1 + 1) − 0 = 2
    # another: zh->zh 1, zh->en 1, en->zh 0, en->en 0: prompt = 1, answer = 0, interaction = 0
    values = {"zh->zh": [1, 1], "zh->en": [0, 1], "en->zh": [0, 0], "en->en": [1, 0]}
    effects = decompose.effects(values, "zh", "en")
    assert effects["prompt_language"].tolist() == [0.0, 1.0]
    assert effects["answer_language"].tolist() == [0.0, 0.0]
    assert effects["interaction"].tolist() == [2.0, 0.0]
    assert decompose.effects({"zh->zh": [1]}, "zh", "en") is None


def test_concept_distribution_sums_each_concepts_names():
    # scores zh (ln 1, ln 3) and en (ln 2, ln 2): softmax over four = (1, 3, 2, 2) / 8; per concept
    # X = (1 + 2) / 8, Y = (3 + 2) / 8
    zh = {"candidates": ["X", "Y"]}
    en = {"candidates": ["X", "Y"]}
    scores = [np.log([1.0, 3.0]), np.log([2.0, 2.0])]
    assert concepts.concept_distribution([zh, en], scores) == pytest.approx([3 / 8, 5 / 8], abs=1e-15)


def test_neutral_tables_read_the_neutral_records():
    records = [{"neutral": True, "prompt_lang": "zh", "answer_lang": "en", "candidates": ["A"], "logprobs": [-2.0]},
               {"neutral": False, "prompt_lang": "zh", "answer_lang": "en", "candidates": ["A"], "logprobs": [-9.0]}]
    assert rules.neutral_tables(records) == {"zh->en": {"A": -2.0}}


def test_the_strongest_condition_is_claimed_for_every_rule_only_where_every_rule_picks_it():
    agree = {"sum": {"zh->zh": 0.4, "en->en": 0.9}, "char": {"zh->zh": 0.3, "en->en": 0.5}}
    assert decompose.strongest(agree) == "; the strongest condition under every rule is en→en"
    # continent in the default run: en→en leads under sum (0.76 vs 0.42) but zh→zh under char (0.36 vs 0.26)
    disagree = {"sum": {"zh->zh": 0.42, "en->en": 0.76}, "char": {"zh->zh": 0.36, "en->en": 0.26}}
    clause = decompose.strongest(disagree)
    assert "under every rule" not in clause and "sum: en→en" in clause and "char: zh→zh" in clause
