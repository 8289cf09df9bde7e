"""Held-out scores: nats per token, and bits per character (the unit that compares zh with en)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import sentencepiece as spm
import torch
import torch.nn.functional as F

from .data import encode, next_token_pairs


@dataclass(frozen=True)
class HeldOutScore:
    """Summed negative log-likelihood of some texts, with what it is divided by."""

    nats: float
    tokens: int
    characters: int

    @property
    def loss(self) -> float:
        """Nats per predicted token (EOS included), the training objective."""
        return self.nats / self.tokens

    @property
    def bits_per_char(self) -> float:
        """Bits per character of text: the end of each sentence is predicted too, and paid for here."""
        return self.nats / math.log(2) / self.characters


@torch.no_grad()
def sentence_nats(
    model: torch.nn.Module, tokenizer: spm.SentencePieceProcessor, texts: Sequence[str], batch_size: int = 64
) -> list[tuple[float, int]]:
    """For each text alone, −log p(t₁ … tₙ EOS | BOS) in nats and the number of predicted tokens.

    Texts longer than the model's context keep their first `context` predictions.
    """
    context = model.config.max_position_embeddings
    model.eval()
    results = []
    for first in range(0, len(texts), batch_size):
        encoded = [encode(tokenizer, text)[: context + 1] for text in texts[first : first + batch_size]]
        width = max(map(len, encoded))
        ids = torch.zeros(len(encoded), width, dtype=torch.long)
        mask = torch.zeros(len(encoded), width, dtype=torch.long)
        for row, sequence in enumerate(encoded):
            ids[row, : len(sequence)] = torch.tensor(sequence)
            mask[row, : len(sequence)] = 1
        inputs, labels = next_token_pairs(ids)
        logits = model(input_ids=inputs, attention_mask=mask[:, :-1]).logits
        nats = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none") * mask[:, 1:]
        results.extend((float(row.sum()), len(seq) - 1) for row, seq in zip(nats, encoded, strict=True))
    return results


def held_out_score(
    model: torch.nn.Module, tokenizer: spm.SentencePieceProcessor, texts: Sequence[str], batch_size: int = 64
) -> HeldOutScore:
    """The summed score of `texts`, each scored on its own (no text sees another)."""
    scores = sentence_nats(model, tokenizer, texts, batch_size)
    return HeldOutScore(
        nats=sum(nats for nats, _ in scores),
        tokens=sum(tokens for _, tokens in scores),
        characters=sum(len(text) for text in texts),
    )
