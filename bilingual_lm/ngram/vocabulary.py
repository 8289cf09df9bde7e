"""The vocabulary of an n-gram model: words and their ids, with KenLM's three special tokens."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain, repeat

import numpy as np

from bilingual_lm.errors import InputError

UNK, BOS, EOS = "<unk>", "<s>", "</s>"


class Vocabulary:
    """Words <-> ids. A trained model numbers them as KenLM does: <unk>=0, <s>=1, </s>=2, then the rest.

    `<s>` is only ever a context, never predicted; `</s>` and `<unk>` are predicted like words.
    """

    def __init__(self, words: Iterable[str]):
        self.words: list[str] = list(words)
        self.index: dict[str, int] = {}
        for i, word in enumerate(self.words):
            if word in self.index:
                raise InputError(f"the word {word!r} is in the vocabulary twice")
            self.index[word] = i
        missing = [w for w in (UNK, BOS, EOS) if w not in self.index]
        if missing:
            raise InputError(f"the vocabulary lacks the special token(s) {', '.join(missing)}")
        self.unk, self.bos, self.eos = self.index[UNK], self.index[BOS], self.index[EOS]

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, words: Iterable[str]) -> list[int]:
        """Ids of `words` for scoring: unknown words, and a literal <s> or </s> inside a text, are <unk>."""
        return self.encode_array(words).tolist()

    def encode_array(self, words: Iterable[str]) -> np.ndarray:
        """`encode` as an int64 array, with the dictionary lookups in one C-level loop."""
        ids = np.fromiter(map(self.index.get, words, repeat(self.unk)), dtype=np.int64)
        ids[(ids == self.bos) | (ids == self.eos)] = self.unk
        return ids

    def encode_sentences(
        self, sentences: Sequence[Sequence[str]], bos: bool = True, eos: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All sentences as one id array with `<s>`/`</s>` added, the history length of every position
        (how many earlier tokens of its sentence may condition it) and where each sentence starts."""
        lengths = np.fromiter((len(s) + bos + eos for s in sentences), dtype=np.int64, count=len(sentences))
        starts = np.zeros(len(sentences) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        flat = np.empty(int(starts[-1]), dtype=np.int64)
        body = self.encode_array(chain.from_iterable(sentences))
        is_body = np.ones(len(flat), dtype=bool)
        if bos:
            is_body[starts[:-1]] = False
            flat[starts[:-1]] = self.bos
        if eos:
            is_body[starts[1:] - 1] = False
            flat[starts[1:] - 1] = self.eos
        flat[is_body] = body
        hist = np.arange(len(flat), dtype=np.int64) - np.repeat(starts[:-1], lengths)
        return flat, hist, starts


def build_vocabulary(
    sentences: Sequence[Sequence[str]], min_count: int = 1, vocab: Iterable[str] | None = None
) -> Vocabulary:
    """Specials first, then the training words in order of first appearance (or `vocab`'s words, in its
    order), keeping only words seen at least `min_count` times. Everything else will count as <unk>."""
    if min_count < 1:
        raise InputError(f"min_count must be at least 1, not {min_count}")
    words = chain.from_iterable(sentences)
    # in order of first appearance; counting only when a minimum count asks for it
    counts: dict[str, int] = Counter(words) if min_count > 1 else dict.fromkeys(words, 1)
    for reserved in (BOS, EOS):
        if reserved in counts:
            raise InputError(f"the training text contains the reserved token {reserved}")
    candidates = counts if vocab is None else dict.fromkeys(vocab)
    kept = [w for w in candidates if w not in (UNK, BOS, EOS) and counts.get(w, 0) >= min_count]
    if vocab is not None and min_count == 1:  # a listed word never seen in training stays in
        kept = [w for w in candidates if w not in (UNK, BOS, EOS)]
    return Vocabulary([UNK, BOS, EOS, *kept])
