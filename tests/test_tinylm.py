"""The tiny Transformer package: tokenizer, self-supervised pairs, training, evaluation, attention, scaling."""

import math
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bilingual_lm.tinylm.attention import attention_maps, sentence_attention  # noqa: E402
from bilingual_lm.tinylm.data import next_token_pairs, sample_batch, token_stream  # noqa: E402
from bilingual_lm.tinylm.evaluate import held_out_score, sentence_nats  # noqa: E402
from bilingual_lm.tinylm.model import TinyConfig, build_model, count_parameters  # noqa: E402
from bilingual_lm.tinylm.scaling import fit_power_law, training_flops  # noqa: E402
from bilingual_lm.tinylm.tokenizer import BOS_ID, EOS_ID, train_tokenizer  # noqa: E402
from bilingual_lm.tinylm.train import TrainConfig, next_token_loss, train  # noqa: E402

TEXTS = [
    "我爱吃披萨。",
    "I love to eat pizza.",
    "老师，您好！",
    "Hello, teacher!",
    "今天天气很好。",
    "The weather is nice today.",
    "我们一起去学校吧。",
    "Let's go to school together.",
] * 4


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(TEXTS, vocab_size=320, character_coverage=1.0)


@pytest.fixture(scope="module")
def model(tokenizer):
    torch.set_num_threads(1)
    return build_model(TinyConfig(tokenizer.get_piece_size(), d_model=32, n_layers=2, n_heads=2, context=32))


def test_tokenizer_round_trips_text_without_unknown_pieces(tokenizer):
    for text in ["我爱吃披萨。", "I love to eat pizza.", "龘 unseen ĳ"]:
        ids = tokenizer.encode(text)
        assert 0 not in ids  # byte fallback: nothing becomes <unk>
        assert tokenizer.decode(ids) == text


def test_next_token_pairs_shift_the_text_by_one():
    # [BOS, 我, 爱, 吃, EOS] with made-up ids 1, 10, 11, 12, 2: the model reads each prefix and is
    # asked for the token that follows it, so the labels come from the text itself.
    ids = torch.tensor([[1, 10, 11, 12, 2]])
    inputs, labels = next_token_pairs(ids)
    assert inputs.tolist() == [[1, 10, 11, 12]]
    assert labels.tolist() == [[10, 11, 12, 2]]


def test_sample_batch_windows_are_consecutive_stream_tokens():
    stream = torch.arange(100, 120)
    inputs, labels = sample_batch(stream, batch_size=8, context=5, generator=torch.Generator().manual_seed(0))
    assert inputs.shape == labels.shape == (8, 5)
    for row_in, row_label in zip(inputs, labels, strict=True):
        start = int(row_in[0]) - 100
        expected = [100 + (start + k) % 20 for k in range(6)]
        assert row_in.tolist() == expected[:5] and row_label.tolist() == expected[1:]


def test_token_stream_frames_every_text_with_bos_and_eos(tokenizer):
    stream = token_stream(tokenizer, TEXTS[:2], seed=0)
    assert int((stream == BOS_ID).sum()) == 2 and int((stream == EOS_ID).sum()) == 2
    assert len(stream) == sum(len(tokenizer.encode(text)) + 2 for text in TEXTS[:2])


def test_next_token_loss_equals_transformers_own_shifted_loss(model, tokenizer):
    # transformers shifts `labels=input_ids` inside the model; ours shifts the ids before the call.
    ids = token_stream(tokenizer, TEXTS[:4])[:33].reshape(1, -1)
    reference = model(input_ids=ids, labels=ids).loss
    inputs, labels = next_token_pairs(ids)
    assert torch.allclose(next_token_loss(model, inputs, labels), reference, atol=1e-6)


def test_training_lowers_the_loss_on_a_repeated_batch(tokenizer):
    torch.set_num_threads(1)
    model = build_model(TinyConfig(tokenizer.get_piece_size(), d_model=32, n_layers=2, n_heads=2, context=16))
    stream = token_stream(tokenizer, TEXTS[:2])
    losses = train(model, stream, TrainConfig(steps=40, batch_size=4, learning_rate=1e-2, warmup_steps=5))
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])


def test_training_is_deterministic_for_a_seed(tokenizer):
    torch.set_num_threads(1)
    runs = []
    for _ in range(2):
        model = build_model(TinyConfig(tokenizer.get_piece_size(), d_model=16, n_layers=1, n_heads=2, context=8))
        runs.append(train(model, token_stream(tokenizer, TEXTS), TrainConfig(steps=5, batch_size=2)))
    assert runs[0] == runs[1]


def test_sentence_nats_batched_equal_one_at_a_time_and_a_plain_sum(model, tokenizer):
    texts = TEXTS[:4]
    batched = sentence_nats(model, tokenizer, texts, batch_size=4)
    for text, (nats, tokens) in zip(texts, batched, strict=True):
        (alone, alone_tokens), = sentence_nats(model, tokenizer, [text], batch_size=1)
        ids = torch.tensor([BOS_ID, *tokenizer.encode(text), EOS_ID])
        with torch.no_grad():
            log_probs = F.log_softmax(model(input_ids=ids[None, :-1]).logits[0], dim=-1)
        plain = -sum(float(log_probs[t, ids[t + 1]]) for t in range(len(ids) - 1))
        assert tokens == alone_tokens == len(ids) - 1
        assert nats == pytest.approx(alone, abs=1e-4) and nats == pytest.approx(plain, abs=1e-4)


def test_sentence_nats_keep_the_first_context_predictions_of_a_long_text(tokenizer):
    model = build_model(TinyConfig(tokenizer.get_piece_size(), d_model=16, n_layers=1, n_heads=2, context=8))
    (_, tokens), = sentence_nats(model, tokenizer, ["Let's go to school together."])
    assert len(tokenizer.encode("Let's go to school together.")) + 1 > 8 and tokens == 8


def test_bits_per_char_divides_total_bits_by_characters(model, tokenizer):
    texts = ["我爱吃披萨。", "I love to eat pizza."]
    score = held_out_score(model, tokenizer, texts)
    total = sum(nats for nats, _ in sentence_nats(model, tokenizer, texts))
    assert score.characters == 6 + 20
    assert score.bits_per_char == pytest.approx(total / math.log(2) / 26)


def test_attention_maps_are_row_stochastic_and_causal(model, tokenizer):
    pieces, maps = sentence_attention(model, tokenizer, "我爱吃披萨。")
    layers, heads, length, _ = maps.shape
    assert (layers, heads, length) == (2, 2, len(pieces))
    assert torch.allclose(maps.sum(-1), torch.ones(layers, heads, length), atol=1e-5)
    assert torch.all(torch.triu(maps, diagonal=1) == 0)


def test_attention_maps_need_eager_attention(tokenizer):
    model = build_model(TinyConfig(tokenizer.get_piece_size(), d_model=16, n_layers=1, n_heads=2, context=8))
    model.set_attn_implementation("sdpa")
    with pytest.raises(ValueError, match="eager"):
        attention_maps(model, torch.tensor([BOS_ID, 5, 6]))


def test_parameter_count_matches_the_layer_formula(tokenizer):
    # Per layer: q, k, v, o (4·d²) + gated MLP (3·d·⌊8d/3⌋) + two RMSNorm vectors (2·d); plus a final norm.
    d, layers, vocab = 48, 3, tokenizer.get_piece_size()
    model = build_model(TinyConfig(vocab, d_model=d, n_layers=layers, n_heads=4))
    expected = layers * (4 * d * d + 3 * d * (8 * d // 3) + 2 * d) + d
    assert count_parameters(model, embeddings=False) == expected
    assert count_parameters(model) == expected + vocab * d  # the output layer shares the embedding


def test_power_law_fit_recovers_known_parameters():
    x = np.array([1e3, 1e4, 1e5, 1e6, 1e7])
    y = 7.5 * x**-0.076
    law = fit_power_law(x, y)
    assert law.a == pytest.approx(7.5, rel=1e-9) and law.exponent == pytest.approx(0.076, rel=1e-9)
    assert law(1e8) == pytest.approx(7.5 * 1e8**-0.076)


def test_power_law_fit_rejects_a_single_x():
    with pytest.raises(ValueError):
        fit_power_law([10.0, 10.0], [1.0, 2.0])


def test_training_flops_is_six_n_d():
    # GPT-3 175B on 300B tokens: 6 · 1.75e11 · 3e11 = 3.15e23, the paper's 3.14e23 to rounding.
    assert training_flops(1.75e11, 3e11) == pytest.approx(3.15e23)
