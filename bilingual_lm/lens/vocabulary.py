"""Which tokens of a vocabulary are Han and which are Latin, by the package's one script classifier.

A token's text is what the tokenizer decodes it to (so SentencePiece's ▁ and byte-level BPE's Ġ are spaces,
and a lone byte piece is U+FFFD); its script is `segment.script.lang_tag` of that text: ``zh`` (holds a Han
character) is Han, ``en`` (holds a Latin letter and no Han character) is Latin. Special tokens (<bos>,
<eos>, ...) and rows of the head beyond the tokenizer's vocabulary belong to neither.
"""

from __future__ import annotations

import torch

from bilingual_lm.segment.script import lang_tag

SCRIPT_GROUPS = ("han", "latin")
_GROUP_OF_TAG = {"zh": 0, "en": 1}


def token_texts(tokenizer) -> list[str]:
    """The decoded text of every token id of the tokenizer ("" for special tokens)."""
    special = set(tokenizer.all_special_ids)
    ids = [[i] for i in range(len(tokenizer))]
    backend = getattr(tokenizer, "backend_tokenizer", None)  # a fast tokenizer's Rust decoder: 2× faster
    if backend is not None:
        texts = backend.decode_batch(ids, skip_special_tokens=False)
    else:
        texts = tokenizer.batch_decode(ids, clean_up_tokenization_spaces=False)
    return ["" if i in special else text for i, text in enumerate(texts)]


def script_groups(tokenizer, vocab_size: int) -> torch.Tensor:
    """(vocab_size × 2) 0/1 matrix: column 0 marks the Han tokens, column 1 the Latin ones."""
    columns = [_GROUP_OF_TAG.get(lang_tag(text)) if text else None for text in token_texts(tokenizer)[:vocab_size]]
    marked = [token_id for token_id, column in enumerate(columns) if column is not None]
    groups = torch.zeros((vocab_size, len(SCRIPT_GROUPS)))
    groups[marked, [columns[token_id] for token_id in marked]] = 1.0
    return groups
