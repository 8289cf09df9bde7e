"""The Chinese segmenter against jieba's (and rjieba's) own output, user dictionaries and the cache."""

import functools
import os
import subprocess
import sys

import jieba
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bilingual_lm.corpora.hsk import hsk_sentences
from bilingual_lm.errors import InputError
from bilingual_lm.segment import get_segmenter
from bilingual_lm.segment.chinese import ChineseSegmenter, default_jieba_tokenizer, jieba_tokenizer_with
from bilingual_lm.segment.userdict import UserWord, parse_user_dict

MIXED = [
    "我用Python写了一个LM demo。",
    "他来到了网易杭研大厦，  价格是3.14元！\r\n日期：2026-11-29",
    "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    "「你好」（笑）C++和AT&T的e-mail 100% OK",
]
SENTENCES = MIXED + [s.zh for s in hsk_sentences()[::7]]
# Characters that make jieba's paths interesting: dictionary words, unknown names (HMM), ASCII runs.
CHARACTERS = (
    "的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会小明硕士毕业于科学院计算所京都杭研厦"
    "abcXYZ019+#&._%- \t，。！"
)


@functools.cache
def _accurate(hmm):
    return ChineseSegmenter(hmm=hmm)


def _words(tokens):
    return [t.text for t in tokens]


def _without_whitespace(words):
    return [word for word in words if word and not word.isspace()]


def _cut_all_words(words):
    """jieba's cut_all output as full mode reports it: runs of non-word characters one character each."""
    out = []
    for word in _without_whitespace(words):
        out += list(word) if not any(c.isalnum() for c in word) else [word]
    return out


@pytest.mark.parametrize("hmm", [True, False])
@settings(max_examples=150, deadline=None)
@given(text=st.lists(st.sampled_from(list(CHARACTERS)), max_size=30).map("".join))
def test_accurate_mode_equals_jieba_lcut_on_any_text(hmm, text):
    assert _words(_accurate(hmm).segment(text)) == _without_whitespace(jieba.lcut(text, HMM=hmm))


@pytest.mark.parametrize("hmm", [True, False])
def test_accurate_mode_equals_jieba_lcut(hmm):
    segmenter = ChineseSegmenter(hmm=hmm)
    for text in SENTENCES:
        assert _words(segmenter.segment(text)) == _without_whitespace(jieba.lcut(text, HMM=hmm)), text


def test_search_mode_holds_the_words_of_jieba_lcut_for_search():
    segmenter = ChineseSegmenter(mode="search")
    for text in SENTENCES:
        assert sorted(_words(segmenter.segment(text))) == sorted(_without_whitespace(jieba.lcut_for_search(text))), text


def test_full_mode_holds_the_words_of_jieba_cut_all():
    segmenter = ChineseSegmenter(mode="full")
    for text in SENTENCES:
        assert sorted(_words(segmenter.segment(text))) == sorted(_cut_all_words(jieba.lcut(text, cut_all=True))), text


def test_search_mode_sorts_overlapping_words_by_span():
    # jieba.lcut_for_search("中华人民共和国") = 中华 华人 人民 共和 共和国 中华人民共和国
    tokens = ChineseSegmenter(mode="search").segment("中华人民共和国")
    assert [(t.text, t.start, t.end) for t in tokens] == [
        ("中华", 0, 2),
        ("中华人民共和国", 0, 7),
        ("华人", 1, 3),
        ("人民", 2, 4),
        ("共和", 4, 6),
        ("共和国", 4, 7),
    ]


@pytest.mark.parametrize("hmm", [True, False])
def test_rjieba_backend_equals_rjieba_cut(hmm):
    rjieba = pytest.importorskip("rjieba")  # the optional `fast` extra
    segmenter = ChineseSegmenter(backend="rjieba", hmm=hmm)
    for text in SENTENCES:
        expected = _without_whitespace(rjieba.cut(text, hmm))
        assert _words(segmenter.segment(text)) == expected, text


@pytest.mark.parametrize("backend", ["jieba", "rjieba"])
@pytest.mark.parametrize("hmm", [True, False])
def test_words_without_tokens_equal_the_tokens_texts(backend, hmm):
    # the bulk path for training: the same words as segment(), straight from the backend's cut
    if backend == "jieba":
        def cut(text):
            return jieba.lcut(text, HMM=hmm)
    else:
        rjieba = pytest.importorskip("rjieba")  # the optional `fast` extra

        def cut(text):
            return rjieba.cut(text, hmm)
    plain = ChineseSegmenter(backend=backend, hmm=hmm)
    protected = ChineseSegmenter(backend=backend, hmm=hmm, user_words=["LM demo"])
    for text in [*SENTENCES, "我用Python写了一个LM demo。 \u3000 1-3 www.example.com"]:
        assert plain.words(text) == _without_whitespace(cut(text)), text
        assert protected.words(text) == _words(protected.segment(text)), text


def test_user_words_with_spaces_and_punctuation_stay_whole():
    text = "我用Python写了一个LM demo，读了《红楼梦》，去了New York。"
    # Plain jieba drops such entries: even after add_word it cuts them apart (jieba issues #56/#405/#749).
    plain = jieba_tokenizer_with([UserWord("LM demo"), UserWord("《红楼梦》"), UserWord("New York")])
    assert "LM demo" not in plain.lcut(text) and "《红楼梦》" not in plain.lcut(text)

    words = _words(ChineseSegmenter(user_words=["LM demo", "《红楼梦》", "New York"]).segment(text))
    # jieba would give the rest: 我用 Python 写 了 一个 ... 读 了 ... ，去 了 ... 。
    assert words == [
        "我用",
        "Python",
        "写",
        "了",
        "一个",
        "LM demo",
        "，",
        "读",
        "了",
        "《红楼梦》",
        "，",
        "去",
        "了",
        "New York",
        "。",
    ]


def test_protected_phrases_do_not_cut_inside_latin_words():
    words = _words(ChineseSegmenter(user_words=["New York"]).segment("New Yorker和New York"))
    assert words == ["New", "Yorker", "和", "New York"]


def test_protected_phrases_prefer_the_longest_match():
    words = _words(ChineseSegmenter(user_words=["New York", "New York City"]).segment("在New York City"))
    assert words == ["在", "New York City"]


def test_user_words_jieba_can_hold_join_its_dictionary():
    # Without the entry jieba cuts 杭研 | 大厦 (its README example); with it, 杭研大厦 is one word.
    assert "杭研大厦" not in _words(ChineseSegmenter().segment("他来到了网易杭研大厦"))
    assert "杭研大厦" in _words(ChineseSegmenter(user_words=["杭研大厦"]).segment("他来到了网易杭研大厦"))
    assert "杭研大厦" in _words(
        ChineseSegmenter(backend="rjieba", user_words=["杭研大厦"]).segment("他来到了网易杭研大厦")
    )


def test_user_words_stay_private_to_their_segmenter():
    ChineseSegmenter(user_words=["杭研大厦"])
    assert "杭研大厦" not in _words(ChineseSegmenter().segment("他来到了网易杭研大厦"))
    assert "杭研大厦" not in jieba.lcut("他来到了网易杭研大厦")


def test_user_dict_file_in_jieba_format_and_with_tabs(tmp_path):
    path = tmp_path / "user.dict"
    path.write_text("\ufeff杭研大厦 10 nt\niPhone 15\t100\tnz\n\nNew York\n", encoding="utf-8")
    assert parse_user_dict(path.read_text(encoding="utf-8")) == [
        UserWord("杭研大厦", 10, "nt"),
        UserWord("iPhone 15", 100, "nz"),
        UserWord("New York"),
    ]
    words = _words(get_segmenter("zh", user_dict=str(path)).segment("他在New York的杭研大厦买了iPhone 15"))
    assert words == ["他", "在", "New York", "的", "杭研大厦", "买", "了", "iPhone 15"]


def test_missing_user_dict_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        ChineseSegmenter(user_dict=tmp_path / "missing.dict")


@pytest.mark.parametrize("options", [{"mode": "fast"}, {"backend": "pkuseg"}, {"backend": "rjieba", "mode": "full"}])
def test_bad_options_are_input_errors(options):
    with pytest.raises(InputError):
        ChineseSegmenter(**options)


def test_dictionary_loads_once_per_process():
    assert ChineseSegmenter()._tokenizer is ChineseSegmenter(mode="search")._tokenizer
    assert default_jieba_tokenizer() is default_jieba_tokenizer()


def test_jieba_cache_goes_to_the_user_cache_dir_not_tmp(tmp_path):
    cache, tmp = tmp_path / "cache", tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "BLM_CACHE_DIR": str(cache), "TMPDIR": str(tmp)}
    code = "from bilingual_lm.segment import get_segmenter; print(get_segmenter('zh').segment('你好')[0].text)"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout == "你好\n"
    assert result.stderr == ""  # jieba's "Building prefix dict" chatter is silenced
    assert (cache / "jieba" / "jieba.cache").is_file()
    assert not list(tmp.iterdir())


def test_tokens_are_tagged_by_script():
    tokens = ChineseSegmenter().segment("我用Python花了3.14元！")
    assert [(t.text, t.lang) for t in tokens] == [
        ("我用", "zh"),
        ("Python", "en"),
        ("花", "zh"),
        ("了", "zh"),
        ("3.14", "num"),
        ("元", "zh"),
        ("！", "punct"),
    ]
