"""A sentencepiece tokenizer trained on the bilingual text itself (no download)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import sentencepiece as spm

UNK_ID, BOS_ID, EOS_ID = 0, 1, 2


def train_tokenizer(
    texts: Sequence[str], vocab_size: int = 2048, character_coverage: float = 0.98
) -> spm.SentencePieceProcessor:
    """A unigram sentencepiece model over `texts`, trained in memory.

    The text is not normalised (``identity``), so a sentence decodes back to itself, and rare characters
    fall back to their UTF-8 bytes, so no text maps to ``<unk>``. One thread keeps training deterministic.
    """
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=character_coverage,
        byte_fallback=True,
        normalization_rule_name="identity",
        max_sentencepiece_length=8,
        unk_id=UNK_ID,
        bos_id=BOS_ID,
        eos_id=EOS_ID,
        pad_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    return spm.SentencePieceProcessor(model_proto=model.getvalue())
