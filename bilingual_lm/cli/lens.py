"""`blm lens`: a quick look inside the model, one prompt decoded at every layer (the logit lens).

    blm lens 'English: "water" - 中文: "' --answer zh=水 --answer en=water
    blm lens --format json '中文: "水" - English: "'

For the 2×2 design over many items, with bands and plots, run `blm eval --tasks lens`.
"""

from __future__ import annotations

import json
import math

import click

from bilingual_lm.errors import InputError
from bilingual_lm.score.registry import DEFAULT_TRANSFORMER


def _answers(pairs: tuple[str, ...]) -> dict[str, str]:
    """('zh=水', 'en=water') -> {'zh': '水', 'en': 'water'}; an InputError for a malformed pair."""
    answers = {}
    for pair in pairs:
        lang, sep, word = pair.partition("=")
        if not sep or not lang.strip() or not word:
            raise InputError(f"--answer {pair!r}: write LANG=WORD, e.g. --answer zh=水")
        if lang.strip() in answers:
            raise InputError(f"--answer: {lang.strip()} is given twice")
        answers[lang.strip()] = word
    return answers


@click.command()
@click.argument("prompt")
@click.option("--answer", "answers", multiple=True, metavar="LANG=WORD",
              help="An answer whose first token's probability is shown per layer (repeatable).")
@click.option("--model", "-m", default=DEFAULT_TRANSFORMER, show_default=True, help="hf:PATH_OR_ID, gguf:PATH or "
              "gemma3-270m.")
@click.option("--device", default=None, help="cpu, cuda, mps [default: automatic].")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def lens(prompt, answers, model, device, output_format):
    """Decode PROMPT's last position at every layer through the model's final norm and head."""
    from bilingual_lm.eval.layers import lens_of
    from bilingual_lm.lens.answers import answer_tokens
    from bilingual_lm.score.registry import load_scorer

    if not prompt:
        raise InputError("the prompt is empty")
    words = _answers(answers)
    scorer = load_scorer(model, **({"device": device} if device else {}))
    logit_lens = lens_of(scorer)
    tokens = answer_tokens(logit_lens.tokenizer, prompt, words) if words else None
    if isinstance(tokens, str):
        raise InputError(f"the answers cannot be read after this prompt ({tokens}: see `blm eval --help` and "
                         "bilingual_lm/lens/answers.py)")
    langs = list(words)
    reading = logit_lens.read([prompt], [[tokens.ids[lang] for lang in langs] if tokens else []])[0]
    rows = [
        {
            "layer": state,
            "top_token": reading.top_tokens[state],
            **{f"p_{lang}": math.exp(reading.target_logprobs[state][i]) for i, lang in enumerate(langs)},
            "entropy_bits": reading.entropy_bits[state],
            "han_mass": reading.script_mass["han"][state],
            "latin_mass": reading.script_mass["latin"][state],
        }
        for state in range(len(reading.entropy_bits))
    ]
    if output_format == "json":
        click.echo(json.dumps({"model": scorer.name, "prompt": prompt, "answer_tokens": tokens.texts if tokens else {},
                               "layers": rows}, ensure_ascii=False, indent=2))
        return
    _print_table(rows, scorer.name, tokens.texts if tokens else {})


def _print_table(rows: list[dict], model: str, answer_tokens: dict[str, str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"logit lens of {model} (layer 0 = embeddings; first tokens: "
                  f"{', '.join(f'{k} {v!r}' for k, v in answer_tokens.items()) or 'no answers given'})")
    for column in rows[0]:
        table.add_column(column, justify="left" if column == "top_token" else "right")
    for row in rows:
        table.add_row(*[repr(v) if k == "top_token" else (f"{v:.3f}" if isinstance(v, float) else str(v))
                        for k, v in row.items()])
    Console().print(table)
