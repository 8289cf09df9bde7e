"""The vocabulary of an n-gram model: words and their ids, with KenLM's three special tokens."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat

import numpy as np

from bilingual_lm.errors import InputError
from bilingual_lm.ngram.lines import PACKED_BYTES, WordKeys, pack, split_lines
from bilingual_lm.ngram.probing import mix

UNK, BOS, EOS = "<unk>", "<s>", "</s>"


class Vocabulary:
    """Words <-> ids. A trained model numbers them as KenLM does: <unk>=0, <s>=1, </s>=2, then the rest.

    `<s>` is only ever a context, never predicted; `</s>` and `<unk>` are predicted like words.
    """

    def __init__(self, words: Iterable[str]):
        self.words: list[str] = list(words)
        self.index: dict[str, int] = dict(zip(self.words, range(len(self.words)), strict=True))
        if len(self.index) < len(self.words):
            twice = next(w for i, w in enumerate(self.words) if self.index[w] != i)
            raise InputError(f"the word {twice!r} is in the vocabulary twice")
        missing = [w for w in (UNK, BOS, EOS) if w not in self.index]
        if missing:
            raise InputError(f"the vocabulary lacks the special token(s) {', '.join(missing)}")
        self.unk, self.bos, self.eos = self.index[UNK], self.index[BOS], self.index[EOS]
        self._keys: WordKeys | None = None  # the words as packed keys, built for the first `encode_lines`

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, words: Iterable[str]) -> list[int]:
        """Ids of `words` for scoring: unknown words, and a literal <s> or </s> inside a text, are <unk>."""
        return self.encode_array(words).tolist()

    def encode_array(self, words: Iterable[str]) -> np.ndarray:
        """`encode` as an int64 array, with the dictionary lookups in one C-level loop."""
        return self._unk_for_ends(np.fromiter(map(self.index.get, words, repeat(self.unk)), dtype=np.int64))

    def _unk_for_ends(self, ids: np.ndarray) -> np.ndarray:
        ids[(ids == self.bos) | (ids == self.eos)] = self.unk
        return ids

    def encode_sentences(
        self, sentences: Sequence[Sequence[str]], bos: bool = True, eos: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All sentences as one id array with `<s>`/`</s>` added, the history length of every position
        (how many earlier tokens of its sentence may condition it) and where each sentence starts."""
        lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
        return lay_out(self.encode_array(chain.from_iterable(sentences)), lengths, self.bos if bos else None,
                       self.eos if eos else None)

    def encode_lines(self, lines: Sequence[str], bos: bool = True, eos: bool = True
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`encode_sentences` of each line's `str.split()`, in bulk (`lines.py`)."""
        split = split_lines(lines)
        if split is None:
            return self.encode_sentences([line.split() for line in lines], bos, eos)
        data, starts, lengths, words_per_line = split
        if self._keys is None:
            self._keys = WordKeys.of(self.words)
        ids = self._unk_for_ends(self._keys.ids(data, starts, lengths, self.unk))
        return lay_out(ids, words_per_line, self.bos if bos else None, self.eos if eos else None)


def lay_out(body: np.ndarray, lengths: np.ndarray, bos: int | None, eos: int | None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sentences of `lengths` ids laid end to end from `body`, each between `bos` and `eos` (where not
    None): the ids, the history length of every position and where each sentence starts."""
    extra = (bos is not None) + (eos is not None)
    padded = lengths + extra
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(padded, out=starts[1:])
    flat = np.empty(int(starts[-1]), dtype=np.int64)
    if bos is not None:
        flat[starts[:-1]] = bos
    if eos is not None:
        flat[starts[1:] - 1] = eos
    # the body's token j, of sentence s, lands after the padding of sentences 0…s-1 and s's own <s>
    sentence = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    flat[np.arange(len(body), dtype=np.int64) + sentence * extra + (bos is not None)] = body
    hist = np.arange(len(flat), dtype=np.int64) - np.repeat(starts[:-1], padded)
    return flat, hist, starts


class _NumberedOnSight(dict):
    """word -> id, where a word looked up for the first time gets the next id."""

    def __missing__(self, word: str) -> int:
        self[word] = number = len(self)
        return number


class TrainingNumbering:
    """Numbers a training text's words batch by batch, as they come; `finish` then gives the vocabulary.

    The vocabulary: specials first, then the training words in order of first appearance (or `vocab`'s
    words, in its order), keeping only words seen at least `min_count` times. Everything else counts as
    <unk>. Words are numbered on sight (a dictionary that numbers new words, one C-level pass per batch);
    `finish` gives the renumbering of those ids where `min_count` or `vocab` drops some."""

    def __init__(self, min_count: int = 1, vocab: Iterable[str] | None = None):
        if min_count < 1:
            raise InputError(f"min_count must be at least 1, not {min_count}")
        self.min_count, self.vocab = min_count, vocab
        self.seen = _NumberedOnSight({UNK: 0, BOS: 1, EOS: 2})
        self.counts = np.zeros(3, dtype=np.int64)  # occurrences of each id given on sight

    def number(self, sentences: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """The ids on sight of the words of `sentences` laid end to end, and each sentence's length."""
        lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
        body = np.fromiter(map(self.seen.__getitem__, chain.from_iterable(sentences)), dtype=np.int64,
                           count=int(lengths.sum()))
        self._add_counts(body)
        return body, lengths

    def number_local(self, batch: LocallyNumbered) -> tuple[np.ndarray, np.ndarray]:
        """`number` for a batch numbered on its own (`number_locally`, in another process): its words are
        numbered here in their order of first appearance in the batch, which is the order `number` would
        have seen them in, so the ids are the same."""
        ids = np.fromiter(map(self.seen.__getitem__, batch.words), dtype=np.int64, count=len(batch.words))
        body = ids[batch.ids]
        self._add_counts(body)
        return body, batch.lengths

    def _add_counts(self, body: np.ndarray) -> None:
        counts = np.bincount(body, minlength=len(self.seen))
        counts[:len(self.counts)] += self.counts
        self.counts = counts

    def finish(self) -> tuple[Vocabulary, np.ndarray | None]:
        """The vocabulary, and new id of each id given on sight (None where the ids on sight stand)."""
        seen, counts = self.seen, self.counts
        for reserved in (BOS, EOS):
            if counts[seen[reserved]]:
                raise InputError(f"the training text contains the reserved token {reserved}")
        if self.vocab is None:
            keep = counts >= self.min_count
            keep[:3] = True
            if keep.all():
                return Vocabulary(seen), None
            vocabulary = Vocabulary([w for w, k in zip(seen, keep, strict=True) if k])
            renumber = np.cumsum(keep) - 1
            renumber[~keep] = vocabulary.unk
            return vocabulary, renumber
        candidates = dict.fromkeys(self.vocab)
        if self.min_count > 1:
            candidates = {w: None for w in candidates if w in seen and counts[seen[w]] >= self.min_count}
        vocabulary = Vocabulary([UNK, BOS, EOS, *(w for w in candidates if w not in (UNK, BOS, EOS))])
        renumber = np.fromiter(map(vocabulary.index.get, seen, repeat(vocabulary.unk)), dtype=np.int64,
                               count=len(seen))
        return vocabulary, renumber


def encode_training(
    sentences: Sequence[Sequence[str]], min_count: int = 1, vocab: Iterable[str] | None = None
) -> tuple[Vocabulary, np.ndarray, np.ndarray]:
    """The vocabulary of a training text (`TrainingNumbering`) and the text encoded with it, as
    `Vocabulary.encode_sentences` does (ids with <s>/</s> added, history lengths)."""
    numbering = TrainingNumbering(min_count, vocab)
    body, lengths = numbering.number(sentences)
    vocabulary, renumber = numbering.finish()
    flat, hist, _ = lay_out(body if renumber is None else renumber[body], lengths, vocabulary.bos, vocabulary.eos)
    return vocabulary, flat, hist


@dataclass
class LocallyNumbered:
    """A batch of sentences numbered on its own: its distinct words in order of first appearance, the index
    of each word of the text in that list, and each sentence's length (arrays travel between processes
    faster than lists of words)."""

    words: list[str]
    ids: np.ndarray
    lengths: np.ndarray


def number_locally(sentences: Sequence[Sequence[str]]) -> LocallyNumbered:
    seen = _NumberedOnSight()
    lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
    ids = np.fromiter(map(seen.__getitem__, chain.from_iterable(sentences)), dtype=np.int32, count=int(lengths.sum()))
    return LocallyNumbered(list(seen), ids, lengths)


def number_lines(lines: Sequence[str]) -> LocallyNumbered:
    """`number_locally` of each line's `str.split()`, in bulk: the words' packed keys (`lines.py`; a word over
    15 bytes keyed by its place in a dictionary of such words) sorted by a hash of them, each checked against
    its group's first word (a clash of hashes falls back to `number_locally`)."""
    split = split_lines(lines)
    if split is None:
        return number_locally([line.split() for line in lines])
    data, starts, lengths, words_per_line = split
    low, high = pack(data, starts, lengths)
    long = np.flatnonzero(lengths > PACKED_BYTES)
    text = data.tobytes()
    if len(long):
        distinct: dict[bytes, int] = {}
        low[long] = [distinct.setdefault(text[start:start + length], len(distinct))
                     for start, length in zip(starts[long].tolist(), lengths[long].tolist(), strict=True)]
        high[long] = np.uint64(255 << 56)  # no short word's length byte is 255
    hashes = mix((low, high))
    order = np.argsort(hashes)
    starts_group = np.ones(len(order), dtype=bool)  # where a run of equal hashes starts, in sorted order
    np.not_equal(hashes[order[1:]], hashes[order[:-1]], out=starts_group[1:])
    group_starts = np.flatnonzero(starts_group)
    first = np.minimum.reduceat(order, group_starts) if len(order) else order  # each group's first appearance
    group = np.empty(len(order), dtype=np.int64)
    group[order] = np.cumsum(starts_group) - 1
    representative = first[group]
    if not (np.array_equal(low[representative], low) and np.array_equal(high[representative], high)):
        return number_locally([line.split() for line in lines])
    appearance = np.argsort(first)  # the groups in order of first appearance
    rank = np.empty(len(first), dtype=np.int32)
    rank[appearance] = np.arange(len(first), dtype=np.int32)
    words = [text[start:start + length].decode("utf-8", "surrogatepass")
             for start, length in zip(starts[first[appearance]].tolist(), lengths[first[appearance]].tolist(),
                                      strict=True)]
    return LocallyNumbered(words, rank[group], words_per_line)
