"""A tiny causal LM and tokenizer built in-process (no downloads) for the Transformer scorer's tests.

The tokenizer is a byte-level BPE trained on HSK sentences (zh and en), so it has character offsets,
merges across Chinese characters (one token can span a word boundary or a context/continuation join)
and splits rare characters into byte pieces. The models are seeded random Llama and Gemma 3 networks;
the Gemma one has final-logit softcapping and 4-token sliding-window layers, so both code paths count; the
Qwen2 one has biases on its attention projections and an untied head.
"""

from __future__ import annotations

import functools

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    Gemma3ForCausalLM,
    Gemma3TextConfig,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForCausalLM,
)

from bilingual_lm.corpora.hsk import hsk_sentences


@functools.lru_cache(maxsize=1)
def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """Byte-level BPE with 3,000 tokens trained on 1,000 HSK sentences in each language; BOS is <bos>."""
    sentences = hsk_sentences()[:1000]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=3000,
        special_tokens=["<pad>", "<bos>", "<eos>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator([s.zh for s in sentences] + [s.en for s in sentences], trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>")


def _small(model_class, config_class, seed: int, **settings):
    """A seeded random `model_class` over the tiny tokenizer, 32 wide, with `settings` over the shared ones."""
    shared = {
        "vocab_size": len(tiny_tokenizer()),
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 256,
        "initializer_range": 0.3,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "pad_token_id": 0,
    }
    torch.manual_seed(seed)
    return model_class(config_class(**{**shared, **settings})).eval()


def tiny_llama(seed: int = 0, max_positions: int = 256) -> LlamaForCausalLM:
    return _small(LlamaForCausalLM, LlamaConfig, seed, max_position_embeddings=max_positions)


def tiny_gemma3(seed: int = 0) -> Gemma3ForCausalLM:
    return _small(
        Gemma3ForCausalLM,
        Gemma3TextConfig,
        seed,
        num_hidden_layers=3,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        sliding_window=4,
        layer_types=["sliding_attention", "sliding_attention", "full_attention"],
        final_logit_softcapping=2.0,
    )


def tiny_qwen2(seed: int = 0) -> Qwen2ForCausalLM:
    return _small(Qwen2ForCausalLM, Qwen2Config, seed, tie_word_embeddings=False)


def saved(model, folder):
    """`model` and the tiny tokenizer saved in `folder` (an `hf:` model folder); the folder."""
    model.save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    return folder


@torch.inference_mode()
def next_logprob(model, prefix: list[int], token: int) -> float:
    """log p(token | prefix): one unbatched forward pass, read at its last position."""
    logits = model(input_ids=torch.tensor([prefix])).logits[0, -1]
    return torch.log_softmax(logits.double(), dim=-1)[token].item()


def reference_logprobs(model, ids: list[int]) -> list[float]:
    """log p(ids[t] | ids[:t]) for t ≥ 1, one prefix at a time."""
    return [next_logprob(model, ids[:t], ids[t]) for t in range(1, len(ids))]
