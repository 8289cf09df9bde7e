"""`train_ngram_bounded` and `write_arpa_bounded`: batches of sentences in, the model of `train_ngram` out, within a
memory budget.

The text is numbered batch by batch and spooled to disk, then counted in chunks of whole sentences sized to the
budget. A text that fits in one chunk is counted as `train_ngram` counts it; a longer one is counted chunk by
chunk, each chunk's sorted tables spilled as a run, and the runs merged onto disk (`merge.py`, `tables.py`).
Counting is exact either way, so the model is identical. `train_ngram_bounded` returns the model, held in
memory; `write_arpa_bounded` (modified Kneser-Ney, written as ARPA) holds it only if it fits the budget, and
otherwise estimates and writes it range by range from the tables on disk (`kneser_ney.py`), so that its peak
follows the budget, not the model.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from bilingual_lm.errors import InputError
from bilingual_lm.ngram.arpa import write_arpa
from bilingual_lm.ngram.counting import OrderCounts, count_ngrams
from bilingual_lm.ngram.model import NgramModel
from bilingual_lm.ngram.spill.kneser_ney import range_rows, write_kneser_ney_arpa
from bilingual_lm.ngram.spill.memory import default_memory, map_large_allocations, spare
from bilingual_lm.ngram.spill.merge import merge_runs, spill_run
from bilingual_lm.ngram.spill.store import SpillDirectory, TextSpool, spill_directory
from bilingual_lm.ngram.spill.tables import DiskCounts
from bilingual_lm.ngram.train import check_options, estimate_model
from bilingual_lm.ngram.vocabulary import LocallyNumbered, TrainingNumbering, Vocabulary, lay_out
from bilingual_lm.progress import Advance, Progress, report

MIN_CHUNK_TOKENS = 64
MODEL_BYTES_PER_NGRAM = 128  # peak memory of estimating a model in memory and writing its ARPA, per n-gram


def chunk_bytes_per_token(order: int) -> int:
    """Peak bytes that counting takes per token of a chunk (the corpus arrays, the sort, and every order's
    table of up to one n-gram per token): measured ~320 at order 5 on text sampled from a model, where almost
    every token ends a new n-gram of each order."""
    return 96 + 56 * order


@dataclass
class SpillReport:
    """How a bounded training run went."""

    sentences: int
    tokens: int  # words, without <s> and </s>
    runs: int  # chunks counted apart and spilled as sorted runs (1: the text fit, nothing was spilled)
    chunk_tokens: int  # the most tokens a chunk holds
    memory: int  # the budget, in bytes
    vocabulary: int = 0  # words, the three specials included
    sizes: list[int] = field(default_factory=list)  # distinct n-grams of each order
    streamed: bool = False  # the model did not fit: it was estimated and written range by range from disk


def train_ngram_bounded(batches: Iterable[Sequence[Sequence[str]] | LocallyNumbered], order: int,
                        smoothing: str = "kn", *, memory: int | None = None,
                        temp_dir: str | os.PathLike | None = None, k: float = 1.0, alpha: float = 0.4,
                        min_count: int = 1, vocab: Iterable[str] | None = None,
                        progress: Progress | None = None) -> tuple[NgramModel, SpillReport]:
    """`train_ngram` on the sentences of all `batches` (lists of sentences, or `LocallyNumbered`), counting
    within `memory` bytes (default `default_memory()`) and spilling sorted runs to a fresh directory in
    `temp_dir`. The model itself is held in memory."""
    check_options(order, smoothing, k, alpha)
    memory = default_memory() if memory is None else memory
    with spill_directory(temp_dir) as spill:
        vocabulary, counts, run = _count_text(batches, order, memory, spill, min_count, vocab, progress)
        model = estimate_model(_in_memory(counts), vocabulary, smoothing, k=k, alpha=alpha)
    return model, run


def write_arpa_bounded(batches: Iterable[Sequence[Sequence[str]] | LocallyNumbered], order: int,
                       path: str | os.PathLike, *, memory: int | None = None,
                       temp_dir: str | os.PathLike | None = None, min_count: int = 1,
                       vocab: Iterable[str] | None = None, progress: Progress | None = None) -> SpillReport:
    """`train_ngram_bounded` with modified Kneser-Ney, written to `path` as ARPA. A model that would not fit
    the budget in memory (`MODEL_BYTES_PER_NGRAM`) is estimated and written range by range from its tables on
    disk (`kneser_ney.py`): the same file, byte for byte."""
    check_options(order, "kn")
    memory = default_memory() if memory is None else memory
    with spill_directory(temp_dir) as spill:
        vocabulary, counts, run = _count_text(batches, order, memory, spill, min_count, vocab, progress)
        if sum(run.sizes) * MODEL_BYTES_PER_NGRAM <= spare(memory):
            write_arpa(estimate_model(_in_memory(counts), vocabulary, "kn"), path)
            return run
        map_large_allocations()
        tables = counts if isinstance(counts, DiskCounts) else DiskCounts.of(spill, counts)
        del counts
        rows = range_rows(tables, memory)
        with report(progress, "estimating and writing", 2 * order) as advance:
            write_kneser_ney_arpa(tables, vocabulary, path, rows, advance)
        run.streamed = True
    return run


def _in_memory(counts: list[OrderCounts] | DiskCounts) -> list[OrderCounts]:
    """The counts of every order in memory, read back if the merge left them on disk."""
    return counts.load() if isinstance(counts, DiskCounts) else counts


def _count_text(batches, order: int, memory: int, spill: SpillDirectory, min_count: int,
                vocab: Iterable[str] | None, progress: Progress | None
                ) -> tuple[Vocabulary, list[OrderCounts] | DiskCounts, SpillReport]:
    """The vocabulary and every order's counts (in memory when the text fit one chunk, else merged on disk)."""
    numbering, spool = TrainingNumbering(min_count, vocab), TextSpool(spill)
    for batch in batches:
        spool.append(*(numbering.number_local(batch) if isinstance(batch, LocallyNumbered)
                       else numbering.number(batch)))
    if not spool.tokens:
        raise InputError("no words to train on")
    vocabulary, renumber = numbering.finish()
    work = spare(memory)  # the budget is the whole process's
    chunk_tokens = max(work // chunk_bytes_per_token(order), MIN_CHUNK_TOKENS)
    chunks = spool.chunks(chunk_tokens)
    if len(chunks) > 1:
        map_large_allocations()
    # one step per order for a single chunk; else one per chunk, then one per merged order
    steps = order if len(chunks) == 1 else len(chunks) + order - 1
    with report(progress, "counting and merging", steps) as advance:
        counted = (_count(*spool.read(chunk), renumber, vocabulary, order, advance if len(chunks) == 1 else None)
                   for chunk in chunks)
        if len(chunks) == 1:
            counts = next(counted)
            sizes = [len(table) for table in counts]
        else:
            runs, unigram_counts = [], np.zeros(len(vocabulary), dtype=np.int64)
            for index, tables in enumerate(counted):
                unigram_counts += tables[0].counts
                runs.append(spill_run(spill, index, tables))
                del tables
                advance(1, note=f"run {index + 1} of {len(chunks)}")
            counts = merge_runs(spill, runs, unigram_counts, len(vocabulary), vocabulary.bos, work, advance)
            sizes = list(counts.sizes)
    return vocabulary, counts, SpillReport(spool.sentences, spool.tokens, len(chunks), chunk_tokens, memory,
                                           len(vocabulary), sizes)


def _count(ids: np.ndarray, lengths: np.ndarray, renumber: np.ndarray | None, vocabulary: Vocabulary,
           order: int, advance: Advance | None = None) -> list[OrderCounts]:
    body = renumber[ids] if renumber is not None else ids
    flat, hist, _ = lay_out(body, lengths, vocabulary.bos, vocabulary.eos)
    del body
    return count_ngrams(flat, hist, order, len(vocabulary), vocabulary.bos, progress=advance)
