"""Boundary and word precision/recall/F1, on the module docstring's hand-worked example and on the HSK gold."""

import pytest

from bilingual_lm.corpora.hsk import hsk_sentences
from bilingual_lm.errors import InputError
from bilingual_lm.segment.accuracy import Counts, SegmentationScore, kept_positions, score_segmentation


def test_hand_worked_example():
    # 我爱北京。 gold 我|爱|北京, predicted 我爱|北|京|。  -> kept string 我爱北京 (n = 4)
    # gold cuts {1, 2}, predicted cuts {2, 3}: 1 match -> P = R = 1/2
    # gold words {(0,1),(1,2),(2,4)}, predicted {(0,2),(2,3),(3,4)}: 0 matches
    score = score_segmentation("我爱北京。", ["我", "爱", "北京"], [(0, 2), (2, 3), (3, 4), (4, 5)])
    assert score.boundaries == Counts(matched=1, predicted=2, gold=2)
    assert score.words == Counts(matched=0, predicted=3, gold=3)
    assert score.boundaries.f1 == pytest.approx(0.5)


def test_punctuation_inside_a_sentence_is_dropped_from_both_sides():
    # 你好，很好。 gold 你|好|很|好 (the comma is not in the gold). Prediction 你好|，|很好|。
    # kept 你好很好: gold cuts {1, 2, 3}; predicted words (0,2), (2,4) -> cuts {2}: P = 1/1, R = 1/3
    score = score_segmentation("你好，很好。", ["你", "好", "很", "好"], [(0, 2), (2, 3), (3, 5), (5, 6)])
    assert score.boundaries == Counts(1, 1, 3)
    assert score.boundaries.recall == pytest.approx(1 / 3)
    assert score.words == Counts(0, 2, 4)


def test_overlapping_predictions_add_all_their_cuts():
    # 中华人民 gold 中华|人民 (cut {2}); predicted 中华, 中华人民, 人民 -> cuts {2}, words 3 with 2 matching
    score = score_segmentation("中华人民", ["中华", "人民"], [(0, 2), (0, 4), (2, 4)])
    assert score.boundaries == Counts(1, 1, 1)
    assert score.words == Counts(2, 3, 2)


def test_scores_add_up_over_a_corpus():
    a = SegmentationScore(Counts(1, 2, 3), Counts(0, 1, 1))
    b = SegmentationScore(Counts(2, 2, 2), Counts(1, 1, 1))
    assert (a + b).boundaries == Counts(3, 4, 5) and (a + b).boundaries.precision == 3 / 4


def test_gold_words_score_perfectly_on_hsk():
    total = SegmentationScore()
    for sentence in hsk_sentences()[:300]:
        spans, position = [], 0
        for word in sentence.gold_words:
            start = sentence.zh.index(word, position)
            spans.append((start, start + len(word)))
            position = start + len(word)
        total += score_segmentation(sentence.zh, sentence.gold_words, spans)
    assert total.boundaries.f1 == 1.0 and total.words.f1 == 1.0 and total.words.gold > 1000


def test_gold_that_does_not_fit_the_text_is_an_input_error():
    with pytest.raises(InputError, match="not a subsequence"):
        kept_positions("我爱北京", ["我", "爱", "上海"])
