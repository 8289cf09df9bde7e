"""The character, whitespace and sentence segmenters; expectations by hand."""

import sys

from bilingual_lm.segment import get_segmenter
from bilingual_lm.segment.script import WHITESPACE
from bilingual_lm.segment.sentences import split_sentences


def test_char_segmenter_gives_one_token_per_character():
    tokens = get_segmenter("char").segment("我爱 NLP。")
    assert [(t.text, t.lang, t.start) for t in tokens] == [
        ("我", "zh", 0),
        ("爱", "zh", 1),
        ("N", "en", 3),
        ("L", "en", 4),
        ("P", "en", 5),
        ("。", "punct", 6),
    ]


def test_char_segmenter_keeps_combining_marks_and_emoji_modifiers():
    assert [t.text for t in get_segmenter("char").segment("e\u0301👍🏽")] == ["e\u0301", "👍🏽"]


def test_space_segmenter_splits_on_any_whitespace_only():
    tokens = get_segmenter("space").segment(" 我 爱\tNLP,\u3000ok \n")
    assert [(t.text, t.start, t.end) for t in tokens] == [("我", 1, 2), ("爱", 3, 4), ("NLP,", 5, 9), ("ok", 10, 12)]


def _sentences(text):
    return [s.text for s in split_sentences(text)]


def test_chinese_sentences_end_at_terminators_and_keep_closing_quotes():
    text = "他说：“好！”我们走吧。你呢？？真的……好吧；再见"
    assert _sentences(text) == ["他说：“好！”", "我们走吧。", "你呢？？", "真的……", "好吧；", "再见"]


def test_english_sentences_skip_abbreviations_initials_and_decimals():
    text = 'Mr. Smith paid $3.14, e.g. cash. "Really?" she asked. J. R. R. Tolkien wrote it. ok'
    assert _sentences(text) == [
        "Mr. Smith paid $3.14, e.g. cash.",
        '"Really?" she asked.',
        "J. R. R. Tolkien wrote it. ok",
    ]


def test_sentence_spans_point_into_the_text():
    text = "  First one.  Second!\n\nThird 第三。"
    for sentence in split_sentences(text):
        assert text[sentence.start : sentence.end] == sentence.text
    assert _sentences(text) == ["First one.", "Second!", "Third 第三。"]


def test_whitespace_class_is_exactly_str_isspace():
    assert set(WHITESPACE) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


def test_space_segmenter_words_are_its_tokens_texts():
    # the training path asks for the words alone (str.split); every whitespace character splits both ways
    text = "".join(chr(c) for c in range(0x2100)) + " 我 爱\tNLP,\u3000ok \x1c\x1d\x1e\x1f\x85\u2028end"
    segmenter = get_segmenter("space")
    assert segmenter.words(text) == [t.text for t in segmenter.segment(text)]
