"""`blm ngram train`: estimate an n-gram model from text files and write it as ARPA or native `.blm`."""

from __future__ import annotations

from pathlib import Path

import click

from bilingual_lm.errors import InputError

BATCH_LINES = 10_000  # lines segmented at once (by one process)
MAX_JOBS = 256


@click.group()
def ngram() -> None:
    """Train n-gram language models."""


@ngram.command()
@click.argument("corpus", nargs=-1, required=True)
@click.option("--order", "-n", type=int, default=3, show_default=True, help="n-gram order (1 or more).")
@click.option("--smoothing", "-s", default="kn", show_default=True,
              help="kn (modified Kneser-Ney, as KenLM), wb (Witten-Bell), addk, mle or stupid (backoff).")
@click.option("--k", type=float, default=1.0, show_default=True, help="k for add-k smoothing.")
@click.option("--alpha", type=float, default=0.4, show_default=True, help="α for stupid backoff.")
@click.option("--lang", default="auto", show_default=True,
              help="Segmenter for each line: zh, en, auto, space (pre-tokenized text) or char.")
@click.option("--backend", default=None, metavar="NAME",
              help="Chinese backend for --lang zh or auto: jieba or rjieba (default jieba).")
@click.option("--min-count", type=int, default=1, show_default=True,
              help="Words seen fewer times become <unk>.")
@click.option("--vocab", "vocab_file", default=None, help="A file of words, one per line: the vocabulary.")
@click.option("--output", "-o", required=True, help="The model file: .blm for the native format, else ARPA.")
@click.option("--memory", "-S", "memory", default=None, metavar="SIZE",
              help="Memory budget, as lmplz -S: 4G, 500M, 20% of physical memory (default 20%). A longer text "
                   "is counted in chunks spilled to --temp-dir and merged, and a Kneser-Ney model written as ARPA "
                   "that would not fit is estimated from disk; the model is the same.")
@click.option("--temp-dir", "-T", default=None, help="Where sorted runs are spilled (default: the system's).")
@click.option("--jobs", "-j", type=int, default=1, show_default=True,
              help="Processes that segment the text (each takes a batch of lines; the words are the same).")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Progress bars on stderr.")
def train(corpus, order, smoothing, k, alpha, lang, backend, min_count, vocab_file, output, memory, temp_dir,
          jobs, progress):
    """Train on CORPUS files (UTF-8, one sentence per line; <s> and </s> are added to each line)."""
    from bilingual_lm.cli.io import read_text_file
    from bilingual_lm.cli.progress import rich_progress
    from bilingual_lm.ngram.spill import parse_memory, train_ngram_bounded, write_arpa_bounded
    from bilingual_lm.ngram.train import check_options
    from bilingual_lm.segment.base import get_segmenter
    from bilingual_lm.textfile import text_lines

    check_options(order, smoothing, k, alpha)
    budget = None if memory is None else parse_memory(memory)
    if not 1 <= jobs <= MAX_JOBS:
        raise InputError(f"--jobs must be at least 1 and at most {MAX_JOBS}, not {jobs}")
    native = Path(output).suffix == ".blm"
    if smoothing == "addk" and order > 1 and not native:
        raise InputError("an add-k model above order 1 has no exact ARPA form; write it to a .blm file")
    if backend is not None and lang not in ("zh", "auto"):
        raise InputError(f"--backend: only for --lang zh or auto, not {lang!r}")
    segmenter = get_segmenter(lang, **({} if backend is None else {"backend": backend}))
    vocab = None
    if vocab_file is not None:
        vocab = [w.strip() for w in text_lines(read_text_file(vocab_file)) if w.strip()]
    batches = _sentences(corpus, segmenter, jobs, progress)
    options = {"memory": budget, "temp_dir": temp_dir, "min_count": min_count, "vocab": vocab,
               "progress": rich_progress if progress else None}
    if smoothing == "kn" and not native:  # estimated from disk if it does not fit the budget
        run = write_arpa_bounded(batches, order, output, **options)
    else:
        model, run = train_ngram_bounded(batches, order, smoothing, k=k, alpha=alpha, **options)
        if native:
            model.save(output)
        else:
            model.save_arpa(output)
    counts = ", ".join(f"{n}-grams {size}" for n, size in enumerate(run.sizes, start=1))
    spilled = f", counted in {run.runs} sorted runs spilled to disk" if run.runs > 1 else ""
    streamed = ", estimated and written from disk" if run.streamed else ""
    click.echo(f"wrote {output}: {smoothing}, order {order}, {run.sentences} sentences, {run.tokens} words, "
               f"vocabulary {run.vocabulary}, {counts}{spilled}{streamed}", err=True)


def _sentences(corpus: tuple[str, ...], segmenter, jobs: int, progress: bool):
    """Batches of segmented sentences, one per non-blank line of the CORPUS files, read a block at a time and
    segmented by `jobs` processes (a bar over the bytes where stderr is a terminal: elsewhere a bar that an
    error closes leaves a line). Worker processes send the words numbered (`number_locally`); text split at
    spaces is numbered in bulk (`number_lines`)."""
    import os
    import sys
    from collections import deque
    from contextlib import nullcontext
    from itertools import chain

    from bilingual_lm.cli.progress import rich_progress
    from bilingual_lm.segment.parallel import map_batches
    from bilingual_lm.textfile import read_line_blocks

    sizes, seen = deque(), [False]

    def batches():
        for path in corpus:
            for lines, size in read_line_blocks(path):
                lines = [line for line in lines if line.strip()]
                seen[0] = seen[0] or bool(lines)
                for first in range(0, len(lines), BATCH_LINES):
                    sizes.append(size * min(BATCH_LINES, len(lines) - first) // len(lines))
                    yield lines[first:first + BATCH_LINES]

    total = sum(os.path.getsize(path) if os.path.isfile(path) else 0 for path in corpus)
    segmented = map_batches(_batch_work(segmenter, jobs), batches(), jobs)
    first = next(segmented, None)  # the workers are forked before the bar starts its thread
    shown = progress and sys.stderr.isatty()
    with rich_progress("reading and segmenting", total) if shown else nullcontext() as advance:
        for sentences in segmented if first is None else chain([first], segmented):
            yield sentences
            done = sizes.popleft()
            if advance:
                advance(done)
    if not seen[0]:
        raise InputError("the corpus has no text")


def _batch_work(segmenter, jobs: int):
    """What is done to each batch of lines: their words, numbered in bulk for text split at spaces, numbered
    in the batch where a worker process must send them back."""
    from bilingual_lm.ngram.vocabulary import number_lines, number_locally

    if segmenter.name == "space":
        return number_lines
    words = getattr(segmenter, "words", None) or (lambda line: [t.text for t in segmenter.segment(line)])
    if jobs > 1:
        return lambda lines: number_locally(list(map(words, lines)))
    return lambda lines: list(map(words, lines))
