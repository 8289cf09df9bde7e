"""The tiny model: a Llama-style decoder built from a transformers config, with random weights."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from .tokenizer import BOS_ID, EOS_ID


@dataclass(frozen=True)
class TinyConfig:
    """Width, depth and context of a tiny model.

    The feed-forward width is 8/3 of `d_model` (gated, three matrices), so one layer holds about
    12·d_model² weights, like GPT-2's: N ≈ 12 · n_layers · d_model², embeddings aside.
    """

    vocab_size: int
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    context: int = 64

    def to_llama(self) -> LlamaConfig:
        return LlamaConfig(
            vocab_size=self.vocab_size,
            hidden_size=self.d_model,
            intermediate_size=8 * self.d_model // 3,
            num_hidden_layers=self.n_layers,
            num_attention_heads=self.n_heads,
            num_key_value_heads=self.n_heads,
            max_position_embeddings=self.context,
            bos_token_id=BOS_ID,
            eos_token_id=EOS_ID,
            tie_word_embeddings=True,
            attn_implementation="eager",
        )


def build_model(config: TinyConfig, seed: int = 0) -> LlamaForCausalLM:
    """A freshly initialised model; the same seed gives the same weights.

    Eager attention computes the softmax explicitly, so the attention maps can be returned.
    """
    torch.manual_seed(seed)
    return LlamaForCausalLM(config.to_llama())


def count_parameters(model: torch.nn.Module, embeddings: bool = True) -> int:
    """Distinct trainable weights; ``embeddings=False`` leaves out the (tied) token embedding table."""
    total = sum(p.numel() for p in model.parameters())
    if not embeddings:
        total -= model.get_input_embeddings().weight.numel()
    return total
