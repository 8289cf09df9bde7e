"""The one script classifier (`segment/script.py`) that the segmenters, the eval's metrics, the answer join and
the n-gram sampler's word join all use."""

import pytest

from bilingual_lm.eval import metrics
from bilingual_lm.eval.runner import join_answer
from bilingual_lm.score.ngram import _join
from bilingual_lm.segment import get_segmenter
from bilingual_lm.segment.script import is_cjk, is_spaced, lang_tag, token_script


@pytest.mark.parametrize(
    ("token", "script"),
    [("日本", "han"), ("▁the", "latin"), ("é", "latin"), ("<0xE4>", "other"), ("<unk>", "other"),
     ("。", "other"), ("日b", "other"), ("123", "other"), (" ", "other"), ("〇", "han"), ("々", "han"),
     ("𠀀", "han"), ("ệ", "latin")],
)
def test_token_script(token, script):
    assert token_script(token) == script


@pytest.mark.parametrize("char", ["〇", "中", "々", "𠀀"])
def test_a_han_character_is_chinese_to_every_rule(char):
    # U+3007 〇 (script Han, category Nl) was "other" to the metrics and "zh" to the segmenter
    assert lang_tag(char) == "zh"
    assert token_script(char) == "han"
    assert is_cjk(char)
    assert not is_spaced(char)
    assert {t.lang for t in get_segmenter("auto").segment(f"二{char}二")} == {"zh"}
    assert metrics.text_units(f"a{char}b") == ["a", char, "b"]


def test_script_mass_counts_ling_as_han():
    summary = metrics.next_token_summary(["〇", "the"], [0.0, 0.0])  # p = ½, ½
    assert summary["script_mass"] == pytest.approx({"han": 0.5, "latin": 0.5, "other": 0.0})


def test_answers_join_without_space_after_cjk_and_with_one_after_latin():
    assert join_answer("二〇", "年") == "年"
    assert join_answer("一九四九年是", "〇") == "〇"
    assert join_answer("The year is", "2024") == " 2024"
    assert join_answer("，", "yes") == "yes"  # full-width comma


def test_sampled_words_are_spaced_between_latin_words_including_accented_ones():
    assert _join(["café", "au", "lait"], "") == "café au lait"
    assert _join(["我", "爱", "Python"], "") == "我爱Python"
    assert _join(["3", "apples"], "I ate") == " 3 apples"
