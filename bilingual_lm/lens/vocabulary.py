"""Which tokens of a vocabulary are Han and which are Latin, by the package's one script classifier.

A token's text is what the tokenizer decodes it to (so SentencePiece's ▁ and byte-level BPE's Ġ are spaces,
and a lone byte piece is U+FFFD); its script is `segment.script.lang_tag` of that text: ``zh`` (holds a Han
character) is Han, ``en`` (holds a Latin letter and no Han character) is Latin. Special tokens (<bos>,
<eos>, ...) and rows of the head beyond the tokenizer's vocabulary belong to neither.

Decoding and classifying 262k tokens takes seconds, so the groups are cached (``scripts/`` in the cache
directory) under the sha256 of the tokenizer's file, its special tokens, the classifier's source and the
versions of the decoding packages; a tokenizer without a file (built in memory) is classified every time.
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

from bilingual_lm.atomic import atomic_write
from bilingual_lm.errors import WriteError
from bilingual_lm.models.fingerprint import sha256_file
from bilingual_lm.paths import keyed_cache_file
from bilingual_lm.segment import script
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
    cache_file = _cache_file(tokenizer, vocab_size)
    columns = _cached_columns(cache_file, vocab_size) if cache_file else None
    if columns is None:
        columns = _columns(tokenizer, vocab_size)
        if cache_file:
            _save(cache_file, columns)
    groups = torch.zeros((vocab_size, len(SCRIPT_GROUPS)))
    marked = np.flatnonzero(columns >= 0)
    groups[torch.from_numpy(marked), torch.from_numpy(columns[marked].astype(np.int64))] = 1.0
    return groups


def _columns(tokenizer, vocab_size: int) -> np.ndarray:
    """Per token id, its group's column (0 Han, 1 Latin) or -1, as int8."""
    columns = np.full(vocab_size, -1, dtype=np.int8)
    for token_id, text in enumerate(token_texts(tokenizer)[:vocab_size]):
        column = _GROUP_OF_TAG.get(lang_tag(text)) if text else None
        if column is not None:
            columns[token_id] = column
    return columns


def _cache_file(tokenizer, vocab_size: int) -> Path | None:
    tokenizer_file = Path(getattr(tokenizer, "name_or_path", "") or ".") / "tokenizer.json"
    if not tokenizer_file.is_file():
        return None
    rules = hashlib.sha256(Path(script.__file__).read_bytes()).hexdigest()
    versions = [metadata.version(name) for name in ("tokenizers", "transformers")]
    key = f"{sha256_file(tokenizer_file)}|{sorted(tokenizer.all_special_ids)}|{vocab_size}|{rules}|{versions}"
    return keyed_cache_file("scripts", key, ".npy")


def _cached_columns(path: Path, vocab_size: int) -> np.ndarray | None:
    """The saved columns, or None when the file is missing or is not what `_save` writes."""
    try:
        columns = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if columns.shape != (vocab_size,) or columns.dtype != np.int8 or not np.isin(columns, (-1, 0, 1)).all():
        return None
    return columns


def _save(path: Path, columns: np.ndarray) -> None:
    try:
        with atomic_write(path, "wb") as handle:
            np.save(handle, columns, allow_pickle=False)
    except (OSError, WriteError):  # a read-only or full cache only costs the classification next time
        pass
