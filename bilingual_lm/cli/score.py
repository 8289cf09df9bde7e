"""`blm score`: the chain-rule breakdown of texts under any model."""

from __future__ import annotations

import json
import math
import sys

import click
from rich.console import Console
from rich.table import Table

from bilingual_lm.cli.io import gather_texts
from bilingual_lm.score.base import LN10, TextScore
from bilingual_lm.score.registry import load_scorer


@click.command()
@click.argument("texts", nargs=-1)
@click.option(
    "--model",
    "-m",
    default=None,
    help="ngram:PATH, hf:PATH_OR_ID, gguf:PATH or gemma3-270m [default: the default n-gram for the language].",
)
@click.option(
    "--lang",
    default="auto",
    show_default=True,
    help="Segmenter for the words: zh, en, auto, char or space (pre-tokenized).",
)
@click.option("--context", default=None, help="Score each text as a continuation of this context.")
@click.option("--file", "-f", "files", multiple=True, type=click.Path(), help="Score each line of a file.")
@click.option(
    "--format", "output_format", type=click.Choice(["table", "json", "tsv"]), default="table", show_default=True
)
@click.option("--device", default=None, help="cpu, cuda, mps [default: automatic].")
@click.option("--batch-size", type=click.IntRange(min=1), default=None)
@click.option("--max-chars", type=click.IntRange(min=1), default=None,
              help="Longest text with its context [default: 20000 for a Transformer, 1000000 for an n-gram].")
def score(texts, model, lang, context, files, output_format, device, batch_size, max_chars):
    """Score TEXTS (or lines of --file, or stdin): p(S) = p(w1) p(w2|w1) ... p(wn|w1...wn-1)."""
    from bilingual_lm.cli.progress import rich_progress
    from bilingual_lm.errors import InputError
    from bilingual_lm.segment import segmenter_names

    if lang not in segmenter_names():
        raise InputError(f"unknown --lang {lang!r}; choose one of {', '.join(segmenter_names())}")
    inputs = gather_texts(texts, files)
    options = {"lang": lang, "progress": rich_progress}
    if device:
        options["device"] = device
    if max_chars:
        options["max_chars"] = max_chars
    scorer = load_scorer(model, **options)
    if output_format == "tsv" and not context and _is_ngram(scorer):  # n-grams: arrays, no object per token
        write_table_tsv(scorer.score_table(inputs, **({"batch_size": batch_size} if batch_size else {}),
                                           progress=rich_progress if len(inputs) > 1 else None))
        return
    results = scorer.score(
        inputs, [context] * len(inputs) if context else None, batch_size=batch_size,
        progress=rich_progress if len(inputs) > 1 else None,
    )
    if output_format == "json":
        json.dump(
            {"model": scorer.describe().to_dict(), "results": [r.to_dict() for r in results]},
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
    elif output_format == "tsv":
        write_tsv(results)
    else:
        console = Console(markup=False)  # texts and tokens are the user's: never rich markup
        for result in results:
            print_breakdown(console, result)


def _is_ngram(scorer) -> bool:
    from bilingual_lm.score.ngram import NgramScorer  # only for tsv output: a Transformer run never loads it

    return isinstance(scorer, NgramScorer)


TSV_HEADER = "text_index\ttoken\tstart\tend\tlogprob\tlog10\torder\toov\n"


def write_tsv(results: list[TextScore]) -> None:
    """One row per chain-rule factor, then one TOTAL row per text."""
    out = sys.stdout
    out.write(TSV_HEADER)
    for index, result in enumerate(results):
        for t in result.tokens:
            out.write(_tsv_row(index, t.text, t.start, t.end, t.logprob, t.order, t.oov))
        out.write(_tsv_total(index, result.n_chars, result.logprob))


def write_table_tsv(table) -> None:
    """`write_tsv`'s rows from an n-gram `ScoreTable` (arrays, no object per token)."""
    out = sys.stdout
    out.write(TSV_HEADER)
    current, factors = 0, []
    for index, token, start, end, logprob, order, oov in table.rows():
        for done in range(current, index):
            out.write(_tsv_total(done, len(table.texts[done]), math.fsum(factors)))
            factors = []
        current = index
        out.write(_tsv_row(index, token, start, end, logprob, order, oov))
        factors.append(logprob)
    for done in range(current, len(table.texts)):
        out.write(_tsv_total(done, len(table.texts[done]), math.fsum(factors)))
        factors = []


def _tsv_row(index: int, token: str, start: int, end: int, logprob: float, order: int | None, oov: bool) -> str:
    return (f"{index}\t{token}\t{start}\t{end}\t{logprob:.6f}\t{logprob / LN10:.6f}\t"
            f"{'' if order is None else order}\t{int(oov)}\n")


def _tsv_total(index: int, n_chars: int, logprob: float) -> str:
    return f"{index}\tTOTAL\t0\t{n_chars}\t{logprob:.6f}\t{logprob / LN10:.6f}\t\t\n"


def print_breakdown(console: Console, result: TextScore) -> None:
    """The factors p(w_i | history), their product, and the per-character / per-byte figures."""
    kind = "p" if result.is_probability else "score (stupid backoff: not a probability)"
    title = f"{result.text}" + (f"   | context: {result.context}" if result.context else "")
    table = Table(title=title, caption=f"model: {result.model}", title_justify="left")
    for column in ("i", "token", "span", f"{kind}(w_i | history)", "ln", "log10"):
        table.add_column(column, justify="left" if column == "token" else "right")
    has_order = any(t.order is not None for t in result.tokens)
    if has_order:
        table.add_column("n-gram", justify="right")
    for i, t in enumerate(result.tokens, 1):
        row = [
            str(i),
            t.text,
            f"{t.start}–{t.end}",
            f"{math.exp(t.logprob):.3e}",
            f"{t.logprob:.4f}",
            f"{t.logprob / LN10:.4f}",
        ]
        if has_order:
            row.append(f"{t.order}" + (" <unk>" if t.oov else ""))
        table.add_row(*row)
    console.print(table)
    if result.words and [w.text for w in result.words] != [t.text for t in result.tokens]:
        words = Table(title="words (model tokens summed by character offsets)", title_justify="left")
        for column in ("word", "lang", "tokens", "ln p", "log10 p"):
            words.add_column(column, justify="left" if column == "word" else "right")
        for w in result.words:
            words.add_row(w.text, w.lang, str(w.n_tokens), f"{w.logprob:.4f}", f"{w.logprob / LN10:.4f}")
        console.print(words)
    product = " × ".join(f"{math.exp(t.logprob):.3g}" for t in result.tokens[:8])
    if len(result.tokens) > 8:
        product += " × …"
    console.print(f"{kind}(S) = {product} = {math.exp(result.logprob):.4e}")
    console.print(
        f"ln {kind}(S) = {result.logprob:.4f}   log10 = {result.log10:.4f}   bits = {result.bits:.3f}   "
        f"perplexity = {result.perplexity:.3f}\n"
        f"bits/token = {result.bits_per_token:.4f}   bits/char = {result.bits_per_char:.4f}   "
        f"bits/byte = {result.bits_per_byte:.4f}   ({result.n_tokens} tokens, {result.n_chars} chars, "
        f"{result.n_bytes} bytes)\n"
    )
