"""The n-gram scorer under the scoring contract: totals, continuations, batching, sampling, defaults."""

import hashlib
import math

import numpy as np
import pytest
from test_ngram_data import KENLM, kenlm_query, sentences

from bilingual_lm.errors import InputError
from bilingual_lm.ngram import load_ngram, train_ngram
from bilingual_lm.score.base import Scorer
from bilingual_lm.score.ngram import NgramScorer, load_ngram_scorer
from bilingual_lm.segment.base import get_segmenter


@pytest.fixture(scope="module")
def kenlm_scorer():
    """KenLM's own order-3 model of the Chinese sentences, over pre-tokenized (space-separated) text."""
    path = KENLM / "zh.o3.arpa.gz"
    return NgramScorer(load_ngram(path), get_segmenter("space"), "ngram:kenlm-zh-o3", path=path)


@pytest.fixture(scope="module")
def test_texts():
    return [" ".join(words) for words in sentences("zh.test.txt")]


def test_the_scorer_implements_the_protocol(kenlm_scorer):
    assert isinstance(kenlm_scorer, Scorer)


def test_the_total_is_the_sum_of_kenlm_factors(kenlm_scorer, test_texts):
    results = kenlm_scorer.score(test_texts)
    for result, reference in zip(results, kenlm_query("zh.o3.query.txt"), strict=True):
        assert [t.text for t in result.tokens] == [w for w, _, _, _ in reference]
        kenlm_total = math.fsum(log10p for _, _, _, log10p in reference)
        assert result.log10 == pytest.approx(kenlm_total, abs=1e-4)
        assert result.logprob == math.fsum(t.logprob for t in result.tokens)


def test_tokens_carry_spans_orders_and_oov(kenlm_scorer):
    [result] = kenlm_scorer.score(["他 是 我 的 老师 。"])
    assert [(t.text, t.start, t.end) for t in result.tokens][:2] == [("他", 0, 1), ("是", 2, 3)]
    assert (result.tokens[-1].text, result.tokens[-1].start, result.tokens[-1].end) == ("</s>", 12, 12)
    [unknown] = kenlm_scorer.score(["他 是 龘龘"])
    assert [t.oov for t in unknown.tokens] == [False, False, True, False]
    assert all(t.order >= 1 for t in unknown.tokens)


def test_words_are_the_tokens(kenlm_scorer):
    [result] = kenlm_scorer.score(["我 爱 吃 披萨"])
    assert [(w.text, w.logprob) for w in result.words] == [(t.text, t.logprob) for t in result.tokens]


def test_context_plus_continuation_is_context_without_eos_plus_continuation_given_context(kenlm_scorer):
    for context, continuation in [("他 是 ", "我 的 老师 。"), ("我 ", "爱 吃 饺子"), ("今天 ", "很 冷")]:
        [whole] = kenlm_scorer.score([context + continuation])
        [head] = kenlm_scorer.with_eos(False).score([context])
        [tail] = kenlm_scorer.score([continuation], [context])
        assert whole.logprob == pytest.approx(head.logprob + tail.logprob, abs=1e-12)
        assert [t.text for t in tail.tokens] == continuation.split() + ["</s>"]
        assert tail.tokens[0].start == 0


def test_a_word_straddling_the_join_belongs_to_the_continuation(kenlm_scorer):
    [tail] = kenlm_scorer.score(["师 。"], ["他 是 老"])
    assert [(t.text, t.start, t.end) for t in tail.tokens] == [("老师", 0, 1), ("。", 2, 3), ("</s>", 3, 3)]


def test_chinese_segmentation_that_splits_at_the_join_keeps_the_identity():
    segmenter = get_segmenter("zh")
    model = train_ngram([[w.text for w in segmenter.segment(t)] for t in ["我爱吃饺子。", "他是我的老师。"]], 3, "kn")
    scorer = NgramScorer(model, segmenter, "tiny")
    context, continuation = "他是我的老师。", "我爱吃饺子。"
    assert [w.text for w in segmenter.segment(context + continuation)] == \
        [w.text for w in segmenter.segment(context)] + [w.text for w in segmenter.segment(continuation)]
    [whole] = scorer.score([context + continuation])
    [head] = scorer.with_eos(False).score([context])
    [tail] = scorer.score([continuation], [context])
    assert whole.logprob == pytest.approx(head.logprob + tail.logprob, abs=1e-12)


@pytest.mark.parametrize("smoothing", ["mle", "addk", "wb", "kn", "stupid"])
@pytest.mark.parametrize("order", [3, 6])
def test_batched_scores_equal_one_lookup_at_a_time(smoothing, order):
    model = train_ngram(sentences("en.train.txt"), order, smoothing)
    test = sentences("en.test.txt")
    batched = model.score_sentences(test)
    for i, words in enumerate(test[:120]):
        plain = model.score_sentence(words)
        got = batched.sentence(i)
        assert [o for _, o, _ in got] == [o for _, o, _ in plain]
        assert [u for _, _, u in got] == [u for _, _, u in plain]
        assert np.allclose([p for p, _, _ in got], [p for p, _, _ in plain], rtol=0, atol=1e-12)
    totals = batched.totals()
    for i, words in enumerate(test[:120]):
        assert totals[i] == pytest.approx(math.fsum(p for p, _, _ in model.score_sentence(words)), abs=1e-9)
    without_ends = model.score_sentences(test[:20], bos=False, eos=False)
    for i, words in enumerate(test[:20]):
        plain = [p for p, _, _ in model.score_sentence(words, bos=False, eos=False)]
        assert np.allclose([p for p, _, _ in without_ends.sentence(i)], plain, rtol=0, atol=1e-12)


@pytest.mark.parametrize("bos,eos", [(True, True), (False, False), (True, False)])
def test_sentence_totals_equal_the_sums_of_one_lookup_at_a_time(bos, eos):
    model = train_ngram(sentences("zh.train.txt"), 4, "kn")
    test = [*sentences("zh.test.txt")[:100], []]  # an empty sentence scores </s> alone (or nothing)
    totals = model.score_totals(test, bos=bos, eos=eos)
    assert np.array_equal(totals, model.score_sentences(test, bos=bos, eos=eos).totals())
    plain = [math.fsum(p for p, _, _ in model.score_sentence(words, bos=bos, eos=eos)) for words in test]
    assert np.allclose(totals, plain, rtol=0, atol=1e-9)


def test_scores_do_not_depend_on_the_batch_size(kenlm_scorer, test_texts):
    one = [r.logprob for r in kenlm_scorer.score(test_texts[:50], batch_size=1)]
    many = [r.logprob for r in kenlm_scorer.score(test_texts[:50], batch_size=64)]
    assert one == many


def test_candidates_are_continuation_scores_without_eos(kenlm_scorer):
    candidates = ["老师 。", "学生", "龘"]
    expected = [r.logprob for r in kenlm_scorer.with_eos(False).score(candidates, ["他 是 我 的 "] * 3)]
    assert kenlm_scorer.score_candidates_one("他 是 我 的 ", candidates) == expected


def test_next_token_distribution_sums_to_one_and_matches_scores(kenlm_scorer):
    distribution = kenlm_scorer.next_token_distribution("他 是 我 的")
    # KenLM's ARPA keeps about 8 significant digits (float32), so its sums are 1 to about 1e-6
    assert math.fsum(math.exp(x) for x in distribution.logprobs) == pytest.approx(1.0, abs=1e-6)
    i = distribution.tokens.index("老师")
    [scored] = kenlm_scorer.with_eos(False).score(["老师"], ["他 是 我 的 "])
    assert distribution.logprobs[i] == pytest.approx(scored.logprob, abs=1e-12)


def test_samples_are_seeded_and_follow_the_model():
    # Under MLE "a" is always followed by "b c" and then the end: every sample is forced.
    model = train_ngram([["a", "b", "c"], ["x", "y"]], 3, "mle")
    scorer = NgramScorer(model, get_segmenter("space"), "tiny")
    assert scorer.sample_one("a", 3, 10, seed=1) == [" b c"] * 3
    free = NgramScorer(train_ngram(sentences("en.train.txt"), 3, "kn"), get_segmenter("en"), "en")
    first = free.sample_one("I", 4, 12, seed=7)
    assert first == free.sample_one("I", 4, 12, seed=7)
    assert first != free.sample_one("I", 4, 12, seed=8)
    assert all(0 < len(s.split()) <= 12 for s in first)


def test_describe_fingerprints_the_file(kenlm_scorer):
    described = kenlm_scorer.describe()
    assert described.identity["sha256"] == hashlib.sha256((KENLM / "zh.o3.arpa.gz").read_bytes()).hexdigest()
    assert (described.identity["order"], described.identity["smoothing"], described.is_probability) == (3, "arpa", True)


def test_stupid_backoff_scores_are_marked_as_not_probabilities(tmp_path):
    model = train_ngram(sentences("en.train.txt")[:200], 3, "stupid")
    model.save_arpa(tmp_path / "s.arpa")
    scorer = load_ngram_scorer(str(tmp_path / "s.arpa"), lang="en", device="cpu")
    assert not scorer.is_probability and not scorer.describe().is_probability
    assert not scorer.score(["I am a student."])[0].is_probability


def test_empty_text_is_an_input_error(kenlm_scorer):
    with pytest.raises(InputError, match="empty"):
        kenlm_scorer.score(["  "])


def test_default_chinese_model_is_kenlms_model_of_the_same_sentences(tmp_path, monkeypatch):
    # The default zh model trains on the HSK training split segmented by our zh segmenter (jieba,
    # accurate mode), which is how the KenLM fixture was made: the two must agree.
    monkeypatch.setenv("BLM_CACHE_DIR", str(tmp_path))
    scorer = load_ngram_scorer("default", lang="zh", device="cpu")
    cached = list((tmp_path / "ngram").glob("*.blm"))
    assert len(cached) == 1 and scorer.describe().details["path"] == str(cached[0])
    [result] = scorer.score(["他是我的老师。"])
    kenlm = NgramScorer(load_ngram(KENLM / "zh.o3.arpa.gz"), get_segmenter("zh"), "kenlm")
    [reference] = kenlm.score(["他是我的老师。"])
    assert result.log10 == pytest.approx(reference.log10, abs=1e-4)
    mtime = cached[0].stat().st_mtime_ns
    load_ngram_scorer("default", lang="zh", device="cpu")
    assert cached[0].stat().st_mtime_ns == mtime  # the cache is reused, not retrained


def test_the_torch_search_used_on_gpus_gives_the_same_scores():
    # On the CPU the tables are searched with numpy; a GPU uses torch.searchsorted, run here on the CPU.
    model = train_ngram(sentences("zh.train.txt"), 4, "kn")
    test = sentences("zh.test.txt")
    numpy_scores = model.score_sentences(test)
    model.tables.numpy_search_on_cpu = False
    torch_scores = model.score_sentences(test)
    assert np.array_equal(numpy_scores.logprobs, torch_scores.logprobs)
    assert np.array_equal(numpy_scores.orders, torch_scores.orders)
    assert np.array_equal(model.next_word_logprobs(["我"])[1], model.to("cpu").next_word_logprobs(["我"])[1])
