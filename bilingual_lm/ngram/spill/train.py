"""`train_ngram_bounded`: batches of sentences in, the same model as `train_ngram` out, within a memory budget.

The text is numbered batch by batch and spooled to disk, then counted in chunks of whole
sentences sized to the budget. A text that fits in one chunk is counted as `train_ngram` counts it; a longer
one is counted chunk by chunk, each chunk's sorted tables spilled as a run, and the runs merged
(`merge.py`). Counting is exact either way, so the model is identical. What the budget bounds is the text's
share of memory (the chunks, the merge); the model's own tables (its distinct n-grams, with their
estimates) are held in memory, as smoothing and writing need them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from bilingual_lm.errors import InputError
from bilingual_lm.ngram.counting import OrderCounts, count_ngrams
from bilingual_lm.ngram.model import NgramModel
from bilingual_lm.ngram.spill.memory import default_memory
from bilingual_lm.ngram.spill.merge import merge_runs, spill_run
from bilingual_lm.ngram.spill.store import TextSpool, spill_directory
from bilingual_lm.ngram.train import check_options, estimate_model
from bilingual_lm.ngram.vocabulary import LocallyNumbered, TrainingNumbering, Vocabulary, lay_out
from bilingual_lm.progress import Advance, Progress, report

MIN_CHUNK_TOKENS = 64


def chunk_bytes_per_token(order: int) -> int:
    """Peak bytes that counting takes per token of a chunk (the corpus arrays, the sort, and every order's
    table of up to one n-gram per token)."""
    return 96 + 48 * order


@dataclass
class SpillReport:
    """How a bounded training run went."""

    sentences: int
    tokens: int  # words, without <s> and </s>
    runs: int  # chunks counted apart and spilled as sorted runs (1: the text fit, nothing was spilled)
    chunk_tokens: int  # the most tokens a chunk holds
    memory: int  # the budget, in bytes


def train_ngram_bounded(batches: Iterable[Sequence[Sequence[str]] | LocallyNumbered], order: int,
                        smoothing: str = "kn", *, memory: int | None = None,
                        temp_dir: str | os.PathLike | None = None, k: float = 1.0, alpha: float = 0.4,
                        min_count: int = 1, vocab: Iterable[str] | None = None,
                        progress: Progress | None = None) -> tuple[NgramModel, SpillReport]:
    """`train_ngram` on the sentences of all `batches` (lists of sentences, or `LocallyNumbered`), counting
    within `memory` bytes (default `default_memory()`) and spilling sorted runs to a fresh directory in
    `temp_dir`."""
    check_options(order, smoothing, k, alpha)
    memory = default_memory() if memory is None else memory
    with spill_directory(temp_dir) as spill:
        numbering, spool = TrainingNumbering(min_count, vocab), TextSpool(spill)
        for batch in batches:
            spool.append(*(numbering.number_local(batch) if isinstance(batch, LocallyNumbered)
                           else numbering.number(batch)))
        if not spool.tokens:
            raise InputError("no words to train on")
        vocabulary, renumber = numbering.finish()
        chunk_tokens = max(memory // chunk_bytes_per_token(order), MIN_CHUNK_TOKENS)
        chunks = spool.chunks(chunk_tokens)
        # one step per order for a single chunk; else one per chunk, then one per merged order
        steps = order if len(chunks) == 1 else len(chunks) + order - 1
        with report(progress, "counting and merging", steps) as advance:
            counted = (_count(*spool.read(chunk), renumber, vocabulary, order, advance if len(chunks) == 1 else None)
                       for chunk in chunks)
            if len(chunks) == 1:
                counts = next(counted)
            else:
                runs, unigram_counts = [], np.zeros(len(vocabulary), dtype=np.int64)
                for index, tables in enumerate(counted):
                    unigram_counts += tables[0].counts
                    runs.append(spill_run(spill, index, tables))
                    del tables
                    advance(1, note=f"run {index + 1} of {len(chunks)}")
                counts = merge_runs(spill, runs, unigram_counts, len(vocabulary), vocabulary.bos, memory, advance)
            model = estimate_model(counts, vocabulary, smoothing, k=k, alpha=alpha)
        return model, SpillReport(spool.sentences, spool.tokens, len(chunks), chunk_tokens, memory)


def _count(ids: np.ndarray, lengths: np.ndarray, renumber: np.ndarray | None, vocabulary: Vocabulary,
           order: int, advance: Advance | None = None) -> list[OrderCounts]:
    body = renumber[ids] if renumber is not None else ids
    flat, hist, _ = lay_out(body, lengths, vocabulary.bos, vocabulary.eos)
    del body
    return count_ngrams(flat, hist, order, len(vocabulary), vocabulary.bos, progress=advance)
