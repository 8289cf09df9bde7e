"""Text to tokens, and the self-supervised task: the labels are the text itself, shifted by one token."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sentencepiece as spm
import torch

from .tokenizer import BOS_ID, EOS_ID


def bilingual_texts(sentences: Iterable) -> list[str]:
    """The Chinese and the English side of each HSK sentence, as separate texts."""
    return [text for sentence in sentences for text in (sentence.zh, sentence.en)]


def encode(tokenizer: spm.SentencePieceProcessor, text: str) -> list[int]:
    """`text` as token ids framed by BOS and EOS: ``[BOS, t₁, …, tₙ, EOS]``."""
    return [BOS_ID, *tokenizer.encode(text), EOS_ID]


def token_stream(tokenizer: spm.SentencePieceProcessor, texts: Sequence[str], seed: int = 0) -> torch.Tensor:
    """All texts encoded and concatenated, in a seeded random order, as one 1-D tensor (as nanoGPT does)."""
    order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(seed)).tolist()
    return torch.tensor([token for i in order for token in encode(tokenizer, texts[i])], dtype=torch.long)


def next_token_pairs(ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and labels for next-token prediction: position t is asked for token t + 1.

    No one labels anything: ``[BOS, 我, 爱, EOS]`` gives inputs ``[BOS, 我, 爱]`` and labels ``[我, 爱, EOS]``.
    """
    return ids[..., :-1], ids[..., 1:]


def sample_batch(
    stream: torch.Tensor, batch_size: int, context: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """`batch_size` windows of ``context + 1`` tokens at random offsets, split into (inputs, labels).

    The stream is read as a loop, so a stream shorter than a window (one sentence) still fills it.
    """
    starts = torch.randint(len(stream), (batch_size, 1), generator=generator)
    windows = stream[(starts + torch.arange(context + 1)) % len(stream)]
    return next_token_pairs(windows)
