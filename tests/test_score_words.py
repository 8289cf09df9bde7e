"""Word units from model tokens: the alignment rule of bilingual_lm/score/words.py, worked by hand."""

import math

from bilingual_lm.score.base import TextScore, TokenScore
from bilingual_lm.score.words import align_words
from bilingual_lm.segment.base import Token


def zh_words():
    # "我爱吃披萨" as jieba segments it: 我 / 爱 / 吃 / 披萨
    return [Token("我", "zh", 0, 1), Token("爱", "zh", 1, 2), Token("吃", "zh", 2, 3), Token("披萨", "zh", 3, 5)]


def test_subword_tokens_inside_a_word_are_summed():
    text = "我爱吃披萨"
    # A tokenizer that splits 披萨 into 披 + 萨: the word 披萨 gets log p(披) + log p(萨 | …) = −2 + −0.5.
    tokens = [
        TokenScore("我", 0, 1, -1.0),
        TokenScore("爱", 1, 2, -3.0),
        TokenScore("吃", 2, 3, -1.5),
        TokenScore("披", 3, 4, -2.0),
        TokenScore("萨", 4, 5, -0.5),
    ]
    words = align_words(text, tokens, zh_words())
    assert [(w.text, w.logprob, w.n_tokens) for w in words] == [
        ("我", -1.0, 1),
        ("爱", -3.0, 1),
        ("吃", -1.5, 1),
        ("披萨", -2.5, 2),
    ]


def test_a_token_straddling_a_word_boundary_merges_the_words():
    text = "我爱吃披萨"
    # One token 吃披 spans the boundary 吃 | 披萨, so 吃 and 披萨 become one unit 吃披萨 with
    # log p = log p(吃披) + log p(萨) = −4 + −0.25; 我 and 爱 stay as they are.
    tokens = [TokenScore("我爱", 0, 2, -2.0), TokenScore("吃披", 2, 4, -4.0), TokenScore("萨", 4, 5, -0.25)]
    words = align_words(text, tokens, zh_words())
    assert [(w.text, w.logprob, w.n_tokens) for w in words] == [("我爱", -2.0, 1), ("吃披萨", -4.25, 2)]


def test_leading_space_tokens_and_end_of_sentence():
    text = "I love pizza"
    words = [Token("I", "en", 0, 1), Token("love", "en", 2, 6), Token("pizza", "en", 7, 12)]
    # SentencePiece-style tokens carry the space before a word: " love" spans 1–6, " pi" 6–9, "zza" 9–12.
    # A whitespace-only token (" ") joins the word after it; </s> (empty span) is a unit of its own.
    tokens = [
        TokenScore("I", 0, 1, -1.0),
        TokenScore(" love", 1, 6, -2.0),
        TokenScore(" ", 6, 7, -0.1),
        TokenScore("pi", 7, 9, -3.0),
        TokenScore("zza", 9, 12, -0.2),
        TokenScore("</s>", 12, 12, -0.7),
    ]
    units = align_words(text, tokens, words)
    assert [(u.text, round(u.logprob, 10), u.n_tokens) for u in units] == [
        ("I", -1.0, 1),
        ("love", -2.0, 1),
        ("pizza", -3.3, 3),
        ("</s>", -0.7, 1),
    ]
    # Every token is counted once: the units sum to the text's total.
    total = TextScore(text, tokens).logprob
    assert math.isclose(sum(u.logprob for u in units), total, abs_tol=1e-12)


def test_totals_in_every_unit():
    # Two factors p = 1/2 and 1/4: ln p(S) = −3 ln 2, so bits = 3, over 2 chars / 6 UTF-8 bytes / 2 tokens.
    result = TextScore("你好", [TokenScore("你", 0, 1, math.log(0.5)), TokenScore("好", 1, 2, math.log(0.25))])
    assert math.isclose(result.bits, 3.0)
    assert math.isclose(result.log10, math.log10(1 / 8))
    assert math.isclose(result.bits_per_char, 1.5)
    assert math.isclose(result.bits_per_byte, 0.5)
    assert math.isclose(result.perplexity, 8**0.5)  # exp(3 ln 2 / 2)
