"""`blm segment`: split texts into tokens (a thin layer over `bilingual_lm.segment`)."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.progress import track

from bilingual_lm.cli.io import gather_texts
from bilingual_lm.errors import InputError
from bilingual_lm.segment import get_segmenter, segmenter_names
from bilingual_lm.segment.chinese import BACKENDS, MODES

FORMATS = ("text", "json")
JIEBA_LANGS = ("zh", "auto")


@click.command()
@click.argument("texts", nargs=-1)
@click.option(
    "--lang", default="auto", show_default=True, metavar="LANG", help="Segmenter: zh, en, auto (mixed), char or space."
)
@click.option("--mode", metavar="MODE", help=f"jieba mode for zh/auto: {', '.join(MODES)} (default accurate).")
@click.option("--no-hmm", is_flag=True, help="Turn jieba's HMM for unknown words off (zh/auto).")
@click.option("--user-dict", "user_dicts", multiple=True, metavar="FILE", help="jieba user dictionary (zh/auto).")
@click.option("--backend", metavar="NAME", help=f"Chinese backend for zh/auto: {', '.join(BACKENDS)} (default jieba).")
@click.option("--format", "output_format", default="text", show_default=True, metavar="FORMAT", help="text or json.")
@click.option("--file", "files", multiple=True, metavar="F", help="Read texts from F, one per non-empty line.")
def segment(texts, lang, mode, no_hmm, user_dicts, backend, output_format, files):
    """Segment TEXT arguments, --file lines, or stdin lines into tokens.

    Text output: each input's tokens joined by spaces, one line per input. JSON output: one JSON
    object per input and line, {"text": ..., "tokens": [{"text", "lang", "start", "end"}, ...]},
    with character offsets into the input and a tag (zh, en, num, punct, sym, other). In the search and
    full modes, Chinese words overlap; they come sorted by (start, end).

    \b
    Examples:
      blm segment "我用Python写了一个LM demo。"
      blm segment --lang zh --mode search --format json "中华人民共和国"
      blm segment --lang en --file notes.txt
    """
    if output_format not in FORMATS:
        raise InputError(f"unknown format {output_format!r}; choose one of {', '.join(FORMATS)}")
    if lang not in segmenter_names():
        get_segmenter(lang)  # raises the error that lists the choices
    options = {"mode": mode, "backend": backend, "user_dict": user_dicts or None, "hmm": False if no_hmm else None}
    given = {name: value for name, value in options.items() if value is not None}
    if given and lang not in JIEBA_LANGS:
        flags = ", ".join("--" + name.replace("_", "-").replace("hmm", "no-hmm") for name in given)
        raise InputError(f"{flags}: only for --lang zh or auto, not {lang!r}")
    inputs = gather_texts(texts, files)
    segmenter = get_segmenter(lang, **given)
    stderr = Console(stderr=True)
    for text in track(inputs, description="segmenting", console=stderr, disable=not stderr.is_terminal):
        tokens = segmenter.segment(text)
        if output_format == "text":
            sys.stdout.write(" ".join(token.text for token in tokens) + "\n")
        else:
            spans = [{"text": t.text, "lang": t.lang, "start": t.start, "end": t.end} for t in tokens]
            sys.stdout.write(json.dumps({"text": text, "tokens": spans}, ensure_ascii=False) + "\n")
