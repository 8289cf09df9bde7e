"""Every smoother: distributions that sum to 1, and a tiny corpus worked by hand."""

import math
from fractions import Fraction

import pytest
from test_ngram_data import sentences

from bilingual_lm.errors import InputError
from bilingual_lm.ngram import train_ngram

NORMALISED = [("mle", {}), ("addk", {"k": 1.0}), ("addk", {"k": 0.25}), ("wb", {}), ("kn", {})]


@pytest.fixture(scope="module")
def corpus():
    return sentences("en.train.txt")[:400]


def contexts(corpus):
    """Contexts seen in training (a sentence start, a sentence middle) and unseen ones."""
    first = corpus[0]
    return [
        [], ["<s>"], ["<s>", first[0]], first[:2], first[1:3],  # seen
        ["zebra", "quantum"], [first[0], "quantum"], ["quantum", first[0]], ["<s>", "quantum"],  # unseen
    ]


@pytest.mark.parametrize("smoothing,options", NORMALISED, ids=lambda x: str(x))
@pytest.mark.parametrize("order", [1, 2, 3, 5])
@pytest.mark.parametrize("min_count", [1, 2])
def test_probabilities_over_the_vocabulary_sum_to_one(corpus, smoothing, options, order, min_count):
    model = train_ngram(corpus, order, smoothing, min_count=min_count, **options)
    assert model.is_probability
    for context in contexts(corpus):
        bos = context[:1] == ["<s>"]
        words, logprobs = model.next_word_logprobs(context[1:] if bos else context, bos=bos)
        assert "<s>" not in words and "</s>" in words and "<unk>" in words
        assert math.fsum(math.exp(x) for x in logprobs) == pytest.approx(1.0, abs=1e-9), context


@pytest.mark.parametrize("smoothing,options", [*NORMALISED, ("stupid", {})], ids=lambda x: str(x))
@pytest.mark.parametrize("order", [3, 5])
def test_vectorised_distribution_equals_one_lookup_at_a_time(corpus, smoothing, options, order):
    model = train_ngram(corpus, order, smoothing, **options)
    for context in contexts(corpus) + [corpus[1][:4], ["<s>", *corpus[2][:3]]]:
        bos = context[:1] == ["<s>"]
        words, logprobs = model.next_word_logprobs(context[1:] if bos else context, bos=bos)
        one_by_one = [model.logprob(w, context) for w in words]
        assert list(logprobs) == pytest.approx(one_by_one, abs=1e-12)


def test_stupid_backoff_is_a_score_not_a_probability(corpus):
    model = train_ngram(corpus, 3, "stupid")
    assert not model.is_probability
    words, logprobs = model.next_word_logprobs(corpus[0][:2])
    assert math.fsum(math.exp(x) for x in logprobs) > 1.0 + 1e-6


# The tiny corpus, worked by hand. Sentences "a b", "a a", "b", padded as KenLM does:
#   <s> a b </s> | <s> a a </s> | <s> b </s>
# Unigrams (never <s>): a 3, b 2, </s> 3: N = 8. The vocabulary without <s> is {<unk>, </s>, a, b}: |V| = 4.
# Bigrams: <s> a 2, <s> b 1, a b 1, a a 1, a </s> 1, b </s> 2; so c(<s> ·) = 3, c(a ·) = 3, c(b ·) = 2.
TINY = [["a", "b"], ["a", "a"], ["b"]]


def sentence_probability(model, words) -> float:
    return math.exp(math.fsum(logprob for logprob, _, _ in model.score_sentence(words)))


def test_mle_by_hand():
    model = train_ngram(TINY, 2, "mle")
    # p(a | <s>) p(b | a) p(</s> | b) = 2/3 · 1/3 · 2/2
    assert sentence_probability(model, ["a", "b"]) == pytest.approx(2 / 9, rel=1e-12)
    # unigrams: p(a) = 3/8; p(<unk>) = 0
    assert math.exp(model.logprob("a", [])) == pytest.approx(3 / 8, abs=1e-15)
    assert model.logprob("<unk>", []) == -math.inf
    # b a was never seen after the seen context b: probability 0
    assert model.logprob("a", ["b"]) == -math.inf


def test_add_one_by_hand():
    model = train_ngram(TINY, 2, "addk", k=1.0)
    # (c(c w) + 1) / (c(c) + 4): p(a | <s>) = 3/7, p(b | a) = 2/7, p(</s> | b) = 3/6
    assert sentence_probability(model, ["a", "b"]) == pytest.approx(3 / 7 * 2 / 7 * 1 / 2, rel=1e-12)
    # unseen after a seen context: 1 / (3 + 4); an unknown word is <unk>
    assert math.exp(model.logprob("zebra", ["a"])) == pytest.approx(1 / 7, abs=1e-15)
    # an unseen context falls back to the unigrams: (3 + 1) / (8 + 4)
    assert math.exp(model.logprob("a", ["zebra"])) == pytest.approx(4 / 12, abs=1e-15)


def test_add_half_by_hand():
    model = train_ngram(TINY, 2, "addk", k=0.5)
    # p(b | a) = (1 + 1/2) / (3 + 4/2) = 3/10
    assert math.exp(model.logprob("b", ["a"])) == pytest.approx(3 / 10, abs=1e-15)


def test_witten_bell_by_hand():
    model = train_ngram(TINY, 2, "wb")
    # Unigrams: T = 3 types seen, p(w) = (c(w) + 3 · 1/4) / (8 + 3): p(a) = 3.75/11, p(b) = 2.75/11,
    # p(</s>) = 3.75/11, p(<unk>) = 0.75/11.
    assert math.exp(model.logprob("<unk>", [])) == pytest.approx(0.75 / 11, abs=1e-15)
    # p(a | <s>) = (2 + 2 · p(a)) / (3 + 2) = 59/110     (T(<s>) = 2: a and b follow <s>)
    # p(b | a)   = (1 + 3 · p(b)) / (3 + 3) = 7/24       (T(a) = 3)
    # p(</s> | b) = (2 + 1 · p(</s>)) / (2 + 1) = 103/132 (T(b) = 1)
    expected = Fraction(59, 110) * Fraction(7, 24) * Fraction(103, 132)
    assert sentence_probability(model, ["a", "b"]) == pytest.approx(float(expected), rel=1e-12)


def test_stupid_backoff_by_hand():
    model = train_ngram(TINY, 2, "stupid")
    # S(a | <s>) = 2/3 and S(b | a) = 1/3 are seen; b a is not: S(a | b) = 0.4 · S(a) = 0.4 · 3/8
    assert math.exp(model.logprob("b", ["a"])) == pytest.approx(1 / 3, abs=1e-15)
    assert math.exp(model.logprob("a", ["b"])) == pytest.approx(0.4 * 3 / 8, abs=1e-15)
    # a context never seen costs α too: S(a | zebra) = 0.4 · 3/8
    assert math.exp(model.logprob("a", ["zebra"])) == pytest.approx(0.4 * 3 / 8, abs=1e-15)


def test_kneser_ney_by_hand_on_a_corpus_that_needs_the_fallback_discounts():
    model = train_ngram(TINY, 2, "kn")
    # Too few n-grams for counts-of-counts: lmplz's fallback discounts D1 = 0.5, D2 = 1, D3+ = 1.5.
    # Adjusted unigram counts = distinct left words: a {<s>, a} 2, b {<s>, a} 2, </s> {a, b} 2; Σ = 6.
    # Unigrams: each a 2 - D2 = 1 left, γ = 3 · 1 / 6 = 1/2 over the uniform 1/4:
    #   p(a) = 1/6 + 1/8 = 7/24; p(<unk>) = 1/8.
    assert math.exp(model.logprob("<unk>", [])) == pytest.approx(1 / 8, abs=1e-15)
    assert math.exp(model.logprob("a", [])) == pytest.approx(7 / 24, abs=1e-15)
    # Bigrams (raw counts at the top order) after a: a b 1, a a 1, a </s> 1, Σ = 3, γ(a) = 3 · 0.5 / 3:
    #   p(b | a) = 0.5/3 + 1/2 · p(b) = 1/6 + 7/48 = 15/48; p(b) = 7/24 like p(a).
    assert math.exp(model.logprob("b", ["a"])) == pytest.approx(15 / 48, abs=1e-15)
    assert model.params["discount_fallback_orders"] == [1, 2]


@pytest.mark.parametrize("bad", [{"order": 0}, {"order": -1}, {"smoothing": "good-turing"}, {"k": 0.0},
                                 {"min_count": 0}])
def test_bad_options_are_input_errors(bad):
    options = {"order": 2, "smoothing": "addk", **bad}
    with pytest.raises(InputError):
        train_ngram(TINY, **options)


def test_reserved_tokens_in_training_text_are_input_errors():
    with pytest.raises(InputError, match="<s>"):
        train_ngram([["a", "<s>", "b"]], 2)


def test_a_vocabulary_file_maps_other_words_to_unk():
    model = train_ngram(TINY, 2, "mle", vocab=["a", "c"])
    assert model.vocab == ["<unk>", "<s>", "</s>", "a", "c"]
    # b becomes <unk>: p(<unk> | a) = c(a <unk>) / c(a ·) = 1/3; c was never seen: p(c) = 0
    assert math.exp(model.logprob("b", ["a"])) == pytest.approx(1 / 3, abs=1e-15)
    assert model.logprob("c", []) == -math.inf
