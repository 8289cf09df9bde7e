"""The mixed (auto) segmenter on code-switched text; expectations by hand (Han runs checked against jieba)."""

import jieba

from bilingual_lm.segment import get_segmenter


def _pairs(text, **options):
    return [(t.text, t.lang) for t in get_segmenter("auto", **options).segment(text)]


def test_code_switched_sentence():
    # Han runs 我用 / 写了一个 go to jieba (我用 | 写 | 了 | 一个); Latin runs to the English tokenizer.
    assert jieba.lcut("写了一个") == ["写", "了", "一个"]
    assert _pairs("我用Python写了一个LM demo。") == [
        ("我用", "zh"),
        ("Python", "en"),
        ("写", "zh"),
        ("了", "zh"),
        ("一个", "zh"),
        ("LM", "en"),
        ("demo", "en"),
        ("。", "punct"),
    ]


def test_full_width_punctuation_is_one_token_per_mark():
    assert _pairs("他说：「你好！」（笑）；好？") == [
        ("他", "zh"),
        ("说", "zh"),
        ("：", "punct"),
        ("「", "punct"),
        ("你好", "zh"),
        ("！", "punct"),
        ("」", "punct"),
        ("（", "punct"),
        ("笑", "zh"),
        ("）", "punct"),
        ("；", "punct"),
        ("好", "zh"),
        ("？", "punct"),
    ]


def test_numbers_between_han_stay_whole():
    assert _pairs("价格是3.14元，日期2026-11-29。") == [
        ("价格", "zh"),
        ("是", "zh"),
        ("3.14", "num"),
        ("元", "zh"),
        ("，", "punct"),
        ("日期", "zh"),
        ("2026-11-29", "num"),
        ("。", "punct"),
    ]


def test_urls_and_emails_stop_at_han_and_full_width_punctuation():
    assert _pairs("请访问www.example.com了解，或写信到ada@example.org。") == [
        ("请", "zh"),
        ("访问", "zh"),
        ("www.example.com", "en"),
        ("了解", "zh"),
        ("，", "punct"),
        ("或", "zh"),
        ("写信", "zh"),
        ("到", "zh"),
        ("ada@example.org", "en"),
        ("。", "punct"),
    ]


def test_bare_domains_between_han_stay_whole():
    assert [t for t, _ in _pairs("网站smallstonesoft.com很好")] == ["网站", "smallstonesoft.com", "很", "好"]


def test_user_phrases_across_scripts_stay_whole():
    # Without the dictionary, U盘 splits at the script boundary.
    assert [t for t, _ in _pairs("我的U盘")] == ["我", "的", "U", "盘"]
    assert [t for t, _ in _pairs("我的U盘和LM demo", user_words=["U盘", "LM demo"])] == [
        "我",
        "的",
        "U盘",
        "和",
        "LM demo",
    ]


def test_english_only_and_chinese_only_text():
    assert [t for t, _ in _pairs("Don't stop-believing!")] == ["Don't", "stop-believing", "!"]
    assert [t for t, _ in _pairs("我爱北京天安门")] == jieba.lcut("我爱北京天安门")


def test_options_reach_the_chinese_segmenter():
    words = [t for t, _ in _pairs("中华人民共和国", mode="search")]
    assert sorted(words) == sorted(jieba.lcut_for_search("中华人民共和国"))
