"""The scoring rules against values computed by hand, and on a tiny model against a plain computation."""

import copy
import math

import numpy as np
import pytest
from eval_fixtures import CURRENCY, CharBigramScorer, write_tasks

from bilingual_lm.eval import rules, runner
from bilingual_lm.eval.cache import RequestCache
from bilingual_lm.eval.loader import load_task_file

RECORD = {"candidates": ["A", "B"], "logprobs": [-2.0, -3.0], "n_tokens": [1, 3], "n_chars": [2, 6]}


def test_each_rule_divides_or_subtracts_as_defined():
    # sum: the log-probs; token: (−2/1, −3/3) = (−2, −1); char: (−2/2, −3/6) = (−1, −0.5);
    # pmi: log p(a|prompt) − log p(a|neutral) = (−2 − (−4), −3 − (−1)) = (2, −2)
    assert rules.rule_scores(RECORD, "sum").tolist() == [-2.0, -3.0]
    assert rules.rule_scores(RECORD, "token").tolist() == [-2.0, -1.0]
    assert rules.rule_scores(RECORD, "char").tolist() == [-1.0, -0.5]
    assert rules.rule_scores(RECORD, "pmi", {"A": -4.0, "B": -1.0}).tolist() == [2.0, -2.0]
    assert rules.rule_scores(RECORD, "pmi", None) is None


def test_softmax_of_rule_scores():
    # token scores (−2, −1): softmax = (1/(1+e), e/(1+e))
    assert rules.softmax(rules.rule_scores(RECORD, "token")) == pytest.approx(
        [1 / (1 + math.e), math.e / (1 + math.e)], abs=1e-15)


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="unknown scoring rule"):
        rules.rule_scores(RECORD, "bytes")


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    task = copy.deepcopy(CURRENCY)
    task["templates"]["neutral"] = {"zh": "货币是", "en": "The currency is"}
    task["templates"]["joiner"] = {"zh->zh": "", "zh->en": " ", "en->zh": "", "en->en": " "}
    directory = write_tasks(tmp_path_factory.mktemp("tasks"), [task])
    loaded = load_task_file(directory / "t_currency.yaml")
    return runner.run_units(CharBigramScorer(), runner.plan_units([loaded], ["zh", "en"]), RequestCache(None, "x"))


def _by_hand(scorer: CharBigramScorer, prompt: str, answer: str) -> float:
    """log p(answer | prompt) of the character bigram model, one character at a time."""
    total, previous = 0.0, prompt[-1]
    for char in answer:
        total += scorer.logprob(char, previous)
        previous = char
    return total


def test_every_rule_on_a_tiny_model_matches_a_plain_computation(records):
    scorer = CharBigramScorer()
    neutral = rules.neutral_tables(records)
    assert set(neutral) == {"zh->zh", "zh->en", "en->zh", "en->en"}
    record = next(r for r in records if r["item"] == "JP" and r["prompt_lang"] == "en" and r["answer_lang"] == "en")
    assert record["prompt"] == "The currency of Japan is" and record["answers"][0] == " Japanese yen"
    logp = np.array([_by_hand(scorer, record["prompt"], answer) for answer in record["answers"]])
    # the bigram model's tokens are characters: the joiner's space is one of the answer's tokens
    tokens = np.array([len(answer) for answer in record["answers"]])
    chars = np.array([len(answer.strip()) for answer in record["answers"]])
    prior = np.array([_by_hand(scorer, "The currency is", answer) for answer in record["answers"]])
    assert record["n_tokens"] == tokens.tolist()
    table = neutral["en->en"]
    assert rules.rule_scores(record, "sum") == pytest.approx(logp, abs=1e-12)
    assert rules.rule_scores(record, "token") == pytest.approx(logp / tokens, abs=1e-12)
    assert rules.rule_scores(record, "char") == pytest.approx(logp / chars, abs=1e-12)
    assert rules.rule_scores(record, "pmi", table) == pytest.approx(logp - prior, abs=1e-12)


def test_neutral_prompt_is_scored_once_per_condition_for_every_concept(records):
    neutral = [r for r in records if r.get("neutral")]
    assert len(neutral) == 4
    assert all(r["candidates"] == ["CNY", "GBP", "JPY", "USD"] and r["item"] == runner.NEUTRAL_ITEM for r in neutral)
