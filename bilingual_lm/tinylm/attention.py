"""Attention maps: for each layer and head, how much each position attends to each earlier one."""

from __future__ import annotations

import sentencepiece as spm
import torch

from .data import encode


@torch.no_grad()
def attention_maps(model: torch.nn.Module, ids: torch.Tensor) -> torch.Tensor:
    """The softmax attention weights for one sequence of token ids: ``[layers, heads, T, T]``.

    Row t is a probability distribution over positions 0 … t (the model is causal): rows sum to 1 and
    everything above the diagonal is 0.
    """
    if model.config._attn_implementation != "eager":
        raise ValueError("attention maps need eager attention (build the model with tinylm.model.build_model)")
    model.eval()
    outputs = model(input_ids=ids.reshape(1, -1), output_attentions=True)
    return torch.stack([layer[0] for layer in outputs.attentions])


def sentence_attention(
    model: torch.nn.Module, tokenizer: spm.SentencePieceProcessor, text: str
) -> tuple[list[str], torch.Tensor]:
    """The pieces of ``BOS text`` (as the model reads it) and their attention maps."""
    ids = encode(tokenizer, text)[:-1]
    pieces = ["<s>", *(tokenizer.id_to_piece(i) for i in ids[1:])]
    return pieces, attention_maps(model, torch.tensor(ids))
