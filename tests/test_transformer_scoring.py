"""The Transformer scorer against a plain, unbatched loop over prefixes, on tiny seeded models."""

from __future__ import annotations

import logging
import math
import os

import jieba
import pytest
import torch
from tiny_causal_lm import next_logprob, reference_logprobs, tiny_gemma3, tiny_llama, tiny_tokenizer
from transformers import CohereConfig, CohereForCausalLM

from bilingual_lm.corpora.hsk import hsk_sentences
from bilingual_lm.errors import InputError
from bilingual_lm.score.base import CandidatesRequest, HiddenStatesRequest, SampleRequest
from bilingual_lm.score.transformer import TransformerScorer, states
from bilingual_lm.score.transformer import candidates as candidate_path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
TOLERANCE = 1e-4


@pytest.fixture(scope="module", params=["llama", "gemma3"])
def scorer(request) -> TransformerScorer:
    model = tiny_llama() if request.param == "llama" else tiny_gemma3()
    return TransformerScorer(model, tiny_tokenizer(), name=f"tiny-{request.param}", lang="zh")


def texts(n: int) -> list[str]:
    """n HSK sentences, zh and en alternating, of varied lengths."""
    sentences = hsk_sentences()[2000 : 2000 + n]
    return [s.zh if i % 2 else s.en for i, s in enumerate(sentences)]


def ids_with_bos(text: str) -> list[int]:
    tokenizer = tiny_tokenizer()
    return [tokenizer.bos_token_id, *tokenizer(text, add_special_tokens=False)["input_ids"]]


def test_token_scores_match_unbatched_prefix_loop(scorer):
    for text in texts(6):
        expected = reference_logprobs(scorer.model, ids_with_bos(text))
        got = [t.logprob for t in scorer.score([text])[0].tokens]
        assert got == pytest.approx(expected, abs=TOLERANCE)


def test_batched_scores_equal_unbatched(scorer):
    sample = texts(70)
    by_size = {size: scorer.score(sample, batch_size=size) for size in (1, 7, 64)}
    for size in (7, 64):
        for one, other in zip(by_size[1], by_size[size], strict=True):
            assert [t.logprob for t in other.tokens] == pytest.approx([t.logprob for t in one.tokens], abs=TOLERANCE)


def test_texts_that_start_alike_get_the_scores_of_their_own_sequences(scorer):
    # Short rows are merged into token trees (a shared BOS, a shared context, one text starting another, a
    # duplicate): every token must still score as in its own sequence, read off the plain prefix loop.
    context = "我们今天去"
    continuations = ["学校。", "学校", "公园玩了一天。", "学校。", "school."]
    for result, continuation in zip(scorer.score(continuations, [context] * 5), continuations, strict=True):
        expected = reference_logprobs(scorer.model, ids_with_bos(context + continuation))
        assert [t.logprob for t in result.tokens] == pytest.approx(expected[-len(result.tokens) :], abs=TOLERANCE)
    plain = ["我们今天去学校。", "我们今天去", "我们今天去学校。我们明天去公园。"]
    for result, text in zip(scorer.score(plain), plain, strict=True):
        assert [t.logprob for t in result.tokens] == pytest.approx(
            reference_logprobs(scorer.model, ids_with_bos(text)), abs=TOLERANCE
        )


def test_a_shared_context_runs_through_the_model_once(scorer, monkeypatch):
    context = " ".join(texts(3))
    continuations = [s.zh for s in hsk_sentences()[:8]]
    seen = []
    forward = scorer.model.base_model.forward
    monkeypatch.setattr(scorer.model.base_model, "forward", lambda **kw: seen.append(kw["input_ids"]) or forward(**kw))
    scorer.score(continuations, [context] * len(continuations))
    # 8 rows of the 34 context tokens (BOS included) and 4–9 of their own: 323 tokens when run separately.
    # A tree of at most 64 tokens holds the context once and about five continuations, so two trees (128
    # tokens with padding) hold all 8.
    assert len(ids_with_bos(context)) == 34
    assert sum(len(ids_with_bos(context + c)) for c in continuations) == 323
    assert scorer.describe().details["shared_prefixes"] == "token trees (texts of at most 64 tokens)"
    assert sum(ids.numel() for ids in seen) <= 2 * 64


def test_results_come_back_in_input_order(scorer):
    sample = texts(9)
    assert [s.text for s in scorer.score(sample, batch_size=4)] == sample


def test_chain_rule_identity_where_tokenization_splits_at_join(scorer):
    tokenizer = tiny_tokenizer()
    checked = 0
    for text in texts(10):
        offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        split = offsets[len(offsets) // 2][0]  # the start of a token: the tokenization splits there
        context, continuation = text[:split], text[split:]
        if not context.strip() or not continuation.strip():
            continue
        joined = (
            tokenizer(context, add_special_tokens=False)["input_ids"]
            + tokenizer(continuation, add_special_tokens=False)["input_ids"]
        )
        if joined != tokenizer(text, add_special_tokens=False)["input_ids"]:
            continue
        whole, alone, rest = scorer.score([text, context, continuation], [None, None, context])
        assert whole.logprob == pytest.approx(alone.logprob + rest.logprob, abs=TOLERANCE)
        checked += 1
    assert checked >= 5


def test_token_spanning_join_is_the_continuations_first_token(scorer):
    # "我们今天去学校。" is tokenized 我们 / 今天 / 去 / 学校 / 。 by the tiny BPE; cut inside 今天:
    text, cut = "我们今天去学校。", 3
    tokenizer = tiny_tokenizer()
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    assert (2, 4) in encoding["offset_mapping"], "the tiny tokenizer should merge 今天"
    result = scorer.score([text[cut:]], [text[:cut]])[0]
    # Hand derivation: the scored tokens are those whose span ends after 3 characters: 今天, 去, 学校, 。,
    # i.e. every token but BOS and 我们, each with the whole text's prefix as context.
    expected = reference_logprobs(scorer.model, ids_with_bos(text))[1:]
    assert [t.logprob for t in result.tokens] == pytest.approx(expected, abs=TOLERANCE)
    assert (result.tokens[0].start, result.tokens[0].end) == (0, 1)  # 今天 clipped to the continuation's 天
    context_alone = scorer.score([text[:cut]])[0]  # scores 我们 and 今 as its own tokens instead
    whole = scorer.score([text])[0]
    assert context_alone.logprob + result.logprob != pytest.approx(whole.logprob, abs=TOLERANCE)


def test_chinese_words_come_from_the_segmenter_not_whitespace(scorer):
    text = "我们今天去学校。"  # one whitespace "word"; jieba: 我们 / 今天 / 去 / 学校 / 。
    result = scorer.score([text])[0]
    assert [w.text for w in result.words] == [w for w, _, _ in jieba.tokenize(text)]
    # The tiny BPE's tokens are exactly these words (see the join test), so each word is one token.
    assert [w.logprob for w in result.words] == [t.logprob for t in result.tokens]


def test_a_token_across_chinese_words_merges_them_into_one_unit(scorer):
    # jieba: 他 / 是 / 我 / 的 / 朋友 / 。; the tiny BPE: 他是 / 我的 / 朋友 / 。 (asserted below), so by the
    # rule of `align_words` the units are 他是, 我的, 朋友, 。, each worth its one token.
    text = "他是我的朋友。"
    offsets = tiny_tokenizer()(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    assert [tuple(o) for o in offsets] == [(0, 2), (2, 4), (4, 6), (6, 7)]
    assert [w for w, _, _ in jieba.tokenize(text)] == ["他", "是", "我", "的", "朋友", "。"]
    result = scorer.score([text])[0]
    assert [w.text for w in result.words] == ["他是", "我的", "朋友", "。"]
    assert [w.logprob for w in result.words] == [t.logprob for t in result.tokens]


def test_score_candidates_equals_scoring_each_as_a_continuation(scorer):
    prompt = "我们今天去"
    candidates = ["学校。", "天安门。", "超市买东西，然后回家。", "商店", " the park.", "天"]
    expected = [s.logprob for s in scorer.score(candidates, [prompt] * len(candidates))]
    assert scorer.score_candidates_one(prompt, candidates) == pytest.approx(expected, abs=TOLERANCE)


def continuation_reference(model, prompt: str, candidate: str) -> float:
    """log p(candidate | prompt) by the plain prefix loop: the sum over the tokens of prompt + candidate whose span
    ends after the prompt (a token across the join is the candidate's), each given every token before it."""
    tokenizer = tiny_tokenizer()
    encoding = tokenizer(prompt + candidate, add_special_tokens=False, return_offsets_mapping=True)
    ids = [tokenizer.bos_token_id, *encoding["input_ids"]]
    scored = [end > len(prompt) for _, end in encoding["offset_mapping"]]
    return math.fsum(lp for lp, keep in zip(reference_logprobs(model, ids), scored, strict=True) if keep)


def test_batched_candidates_equal_the_plain_prefix_loop(scorer, monkeypatch):
    monkeypatch.setattr(candidate_path, "CANDIDATE_BATCH", 7)  # several batches, and requests of unequal prompts
    sentences = hsk_sentences()[3000:3012]
    requests = [
        ("我们今天去", ["学校。", "天安门。", "超市买东西，然后回家。", "商店", " the park.", "天"]),
        ("", ["a"]),
        (sentences[0].zh, [s.zh[:4] for s in sentences[1:5]]),
        (sentences[5].en, [" " + s.en.split()[0] for s in sentences[6:9]] + [s.zh for s in sentences[9:12]]),
        ("The capital of China is", []),
        ("The capital of China is the city of", [" Beijing", " Shanghai", "北京", " Nanjing and Xi'an."]),
    ]
    got = scorer.score_candidates([CandidatesRequest(prompt, tuple(candidates)) for prompt, candidates in requests])
    assert [len(g) for g in got] == [len(candidates) for _, candidates in requests]
    for (prompt, candidates), values in zip(requests, got, strict=True):
        assert values == pytest.approx(scorer.score_candidates_one(prompt, candidates), abs=TOLERANCE)
        expected = [continuation_reference(scorer.model, prompt, candidate) for candidate in candidates]
        assert values == pytest.approx(expected, abs=TOLERANCE)


def test_batched_samples_and_distributions_equal_unbatched(scorer):
    contexts = ["我们今天去", "The weather", hsk_sentences()[3000].zh, ""]
    requests = [SampleRequest(context, 3, 5, 11 + i) for i, context in enumerate(contexts)]
    batched = scorer.sample(requests)
    assert batched == [scorer.sample([request])[0] for request in requests]
    assert scorer.sample(requests[::-1]) == batched[::-1]  # each request's samples ignore the others
    for one, many in zip(map(scorer.next_token_distribution, contexts), scorer.next_token_distributions(contexts),
                         strict=True):
        assert many.tokens == one.tokens
        assert many.logprobs == pytest.approx(one.logprobs, abs=TOLERANCE)


def test_sliding_window_equals_full_context_when_window_is_large(scorer):
    long_text = " ".join(texts(12))
    windowed = TransformerScorer(scorer.model, tiny_tokenizer(), name="w", lang="zh", window=200)
    full = scorer.score([long_text])[0]
    assert len(ids_with_bos(long_text)) < 200
    assert [t.logprob for t in windowed.score([long_text])[0].tokens] == pytest.approx(
        [t.logprob for t in full.tokens], abs=TOLERANCE
    )


def test_sliding_window_scores_every_token_once_with_bounded_context(scorer):
    window, stride = 12, 5
    text = " ".join(texts(3))
    ids = ids_with_bos(text)
    windowed = TransformerScorer(scorer.model, tiny_tokenizer(), name="w", lang="zh", window=window, stride=stride)
    got = [t.logprob for t in windowed.score([text])[0].tokens]
    assert len(got) == len(ids) - 1
    # Token t is scored after BOS and its c most recent tokens, with window-1-stride ≤ c ≤ window-2
    # (or all of them, in the first window): find such a c for each token with the plain loop.
    for t, value in enumerate(got, start=1):
        lengths = [t - 1] if t <= window - 1 else range(window - 1 - stride, window - 1)
        candidates = [next_logprob(scorer.model, [ids[0], *ids[t - c : t]], ids[t]) for c in lengths]
        assert any(abs(value - c) <= TOLERANCE for c in candidates), t


def test_next_token_distribution_is_the_models_softmax(scorer):
    context = "我们今天去"
    distribution = scorer.next_token_distribution(context)
    ids = ids_with_bos(context)
    with torch.inference_mode():
        expected = torch.log_softmax(scorer.model(input_ids=torch.tensor([ids])).logits[0, -1].double(), dim=-1)
    assert math.fsum(math.exp(v) for v in distribution.logprobs) == pytest.approx(1.0, abs=1e-5)
    assert list(distribution.logprobs) == pytest.approx(expected.tolist(), abs=TOLERANCE)
    assert len(distribution.tokens) == len(tiny_tokenizer())


def test_samples_are_reproducible_from_the_seed(scorer):
    first = scorer.sample_one("我们今天去", num_samples=3, max_new_tokens=6, seed=7)
    again = scorer.sample_one("我们今天去", num_samples=3, max_new_tokens=6, seed=7)
    other = scorer.sample_one("我们今天去", num_samples=3, max_new_tokens=6, seed=8)
    assert first == again and len(first) == 3
    assert other != first


@pytest.mark.parametrize("bad", ["", "   ", "x" * 101])
def test_bad_text_is_an_input_error(bad):
    limited = TransformerScorer(tiny_llama(), tiny_tokenizer(), name="t", lang="zh", max_chars=100)
    with pytest.raises(InputError):
        limited.score([bad])


def test_unknown_bos_convention_is_an_input_error():
    with pytest.raises(InputError):
        TransformerScorer(tiny_llama(), tiny_tokenizer(), name="t", bos="sometimes")


def test_without_bos_the_first_token_is_not_scored():
    model = tiny_llama()
    plain = TransformerScorer(model, tiny_tokenizer(), name="t", lang="zh", bos="never")
    text = "我们今天去学校。"
    ids = tiny_tokenizer()(text, add_special_tokens=False)["input_ids"]
    result = plain.score([text])[0]
    assert [t.logprob for t in result.tokens] == pytest.approx(reference_logprobs(model, ids), abs=TOLERANCE)
    assert plain.describe().identity["bos"] is None


def test_plain_and_softcapped_heads_use_the_sliced_logsumexp(scorer):
    # The other tests compare this path (softcapping included, for the tiny Gemma 3) with the plain loop.
    assert scorer.describe().details["head"] == "sliced online logsumexp"


def test_a_head_with_a_logit_scale_is_scored_from_the_models_own_logits(caplog):
    config = CohereConfig(
        vocab_size=len(tiny_tokenizer()),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        logit_scale=0.5,
        initializer_range=0.3,
    )
    torch.manual_seed(0)
    model = CohereForCausalLM(config).eval()
    with caplog.at_level(logging.WARNING):
        cohere = TransformerScorer(model, tiny_tokenizer(), name="tiny-cohere", lang="zh")
    assert cohere.describe().details["head"] == "model logits at scored positions"
    assert cohere.describe().details["probes"]["tiled_head"].startswith("failed: max |Δ|")
    assert "tiled_head probe failed" in caplog.text
    text = "我们今天去学校。"
    expected = reference_logprobs(model, ids_with_bos(text))
    assert [t.logprob for t in cohere.score([text])[0].tokens] == pytest.approx(expected, abs=TOLERANCE)


def test_hidden_states_are_the_residual_stream_at_each_requested_token(scorer):
    # Independent reference: forward hooks on the embedding and on every decoder layer of one unpadded sequence.
    texts_ = ["我们今天去学校。", "The weather"]
    captured = []
    hooks = [scorer.model.base_model.embed_tokens.register_forward_hook(lambda m, i, o: captured.append(o))]
    hooks += [layer.register_forward_hook(lambda m, i, o: captured.append(o[0] if isinstance(o, tuple) else o))
              for layer in scorer.model.base_model.layers]
    expected = []
    for text in texts_:
        captured.clear()
        with torch.inference_mode():
            scorer.model.base_model(input_ids=torch.tensor([ids_with_bos(text)]))
        expected.append(torch.stack([c[0] for c in captured]))
    for hook in hooks:
        hook.remove()
    requests = [HiddenStatesRequest(texts_[0], -1), HiddenStatesRequest(texts_[1], 1), HiddenStatesRequest(texts_[0])]
    got = scorer.hidden_states(requests)
    n_layers, width = scorer.model.config.num_hidden_layers, scorer.model.config.hidden_size
    assert [g.shape for g in got] == [(n_layers + 1, width)] * 3
    assert torch.allclose(got[0], expected[0][:, -1], atol=TOLERANCE)
    assert torch.allclose(got[1], expected[1][:, 1], atol=TOLERANCE)
    assert torch.equal(got[2], got[0])


@pytest.mark.parametrize("tree_tokens, batch_tokens", [(512, 2048), (24, 40)])
def test_hidden_states_through_token_trees_equal_the_padded_reference(scorer, monkeypatch, tree_tokens,
                                                                       batch_tokens):
    # Few-shot prompts that share their examples, read at several positions; small limits force many trees and
    # many forward passes. The reference: the same model with trees forced off (one left-padded batch).
    monkeypatch.setattr(states, "STATE_TREE_TOKENS", tree_tokens)
    monkeypatch.setattr(states, "MAX_BATCH_TOKENS", batch_tokens)
    shots = "我们今天去学校。他们明天去公园。"
    prompts = [shots + text for text in texts(12)] + [shots, "The weather", shots + texts(1)[0]]
    requests = [HiddenStatesRequest(prompt, position) for prompt, position in
                zip(prompts, [-1, 0, 3, -2] * 4, strict=False)]
    reference = TransformerScorer(scorer.model, tiny_tokenizer(), name="padded", lang="zh", prefix_trees="off")
    assert scorer.paths.prefix_trees and not reference.paths.prefix_trees
    for tree, plain in zip(scorer.hidden_states(requests), reference.hidden_states(requests), strict=True):
        assert torch.allclose(tree, plain, atol=TOLERANCE)


def test_a_position_outside_the_text_is_an_input_error(scorer):
    with pytest.raises(InputError, match="outside"):
        scorer.hidden_states([HiddenStatesRequest("天", 5)])


def test_prefix_trees_equal_the_padded_reference(scorer):
    # Trees are an optimisation of padded rows: forcing them off gives the reference path on the same model.
    reference = TransformerScorer(scorer.model, tiny_tokenizer(), name="padded", lang="zh", prefix_trees="off")
    assert reference.describe().details["probes"]["prefix_trees"] == "forced off (not probed)"
    assert scorer.describe().details["probes"]["prefix_trees"].startswith("passed")
    sample = texts(40) + ["我们今天去学校。", "我们今天去公园。", "我们今天去"]
    for tree, plain in zip(scorer.score(sample), reference.score(sample), strict=True):
        assert [t.logprob for t in tree.tokens] == pytest.approx([t.logprob for t in plain.tokens], abs=TOLERANCE)


def test_the_models_own_logits_can_be_forced(scorer):
    plain = TransformerScorer(scorer.model, tiny_tokenizer(), name="plain", lang="zh", tiled_head="off")
    assert (plain.paths.tiled_head, plain.paths.prefix_trees) == (False, False)
    text = "我们今天去学校。"
    assert [t.logprob for t in plain.score([text])[0].tokens] == pytest.approx(
        [t.logprob for t in scorer.score([text])[0].tokens], abs=TOLERANCE)


@pytest.mark.parametrize("options", [{"tiled_head": "maybe"}, {"tiled_head": "off", "prefix_trees": "on"}])
def test_an_impossible_path_option_is_an_input_error(options):
    with pytest.raises(InputError):
        TransformerScorer(tiny_llama(), tiny_tokenizer(), name="t", **options)
